using System.Diagnostics;
using UmlTlb.Abi;
using UmlTlb.Tracing;

namespace UmlTlb.Tests;

/// <summary>
/// What another process of the same user can do to a stub's files through /proc/&lt;stub&gt;/fd,
/// and what a stub that writes back nonsense gets: neither may harm this process, and the
/// engine must say what happened.
/// </summary>
public abstract class TamperingTests : StubTestBase
{
    private const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;

    protected TamperingTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : TamperingTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : TamperingTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : TamperingTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : TamperingTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    [SkippableTheory]
    [InlineData(3)]
    [InlineData(4)]
    public void BothMemfdsAreSealedAgainstResizingButStayWritable(int fd)
    {
        var stub = Start();

        int seals = ProcView.Seals($"/proc/{stub.ProcessId}/fd/{fd}");

        Assert.Equal(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL));
        Assert.Equal(0, seals & F_SEAL_WRITE);
    }

    /// <summary>
    /// Before the seals, truncating the data area from outside made this process die of SIGBUS
    /// at its next flush (its own mapping of the file lost its pages).
    /// </summary>
    [SkippableTheory]
    [InlineData(3, "0")]
    [InlineData(4, "0")]
    [InlineData(3, "+1M")]
    [InlineData(4, "+1M")]
    public void ResizingTheStubsFilesFromOutsideFailsAndFlushesGoOn(int fd, string size)
    {
        var stub = Start();
        var pattern = new PhysicalPattern(0x5ea1);
        pattern.WriteTo(stub, 4);
        string path = $"/proc/{stub.ProcessId}/fd/{fd}";
        long before = new FileInfo(path).Length;

        var (exitCode, error) = RunTruncate(size, path);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("Operation not permitted", error);
        Assert.Equal(before, new FileInfo(path).Length);
        // A flush on both paths, checked from outside.
        var model = new AddressSpaceModel();
        foreach (var (kind, page, offset) in new[] { (VmOpKind.Mmap, 0, 2), (VmOpKind.Mmap, 2, 3) })
        {
            stub.Enqueue(kind, At(page), Page, VmProtection.Read, Pages(offset));
            model.Apply(kind, At(page), Page, VmProtection.Read, Pages(offset));
        }
        Assert.All(Flush(stub).Results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        stub.Enqueue(VmOpKind.Munmap, At(2), Page, VmProtection.None, 0);
        model.Apply(VmOpKind.Munmap, At(2), Page, VmProtection.None, 0);
        Assert.Equal(VmFlushPath.Single, Assert.Single(Flush(stub).Results).Path);
        model.AssertMapsMatch(stub, $"after truncate -s {size} of fd {fd}");
        model.AssertMemoryMatches(stub, At(0), 4, pattern, $"after truncate -s {size} of fd {fd}");
        Assert.Equal(pattern.Page(Pages(3)), stub.ReadPhysicalMemory(Pages(3), (int)Page));
    }

    [SkippableFact]
    public void ReadingPastTheEndOfPhysicalMemorySaysWhere()
    {
        var stub = Start(physicalPages: 4);

        var e = Assert.Throws<ArgumentOutOfRangeException>(() => stub.ReadPhysicalMemory(Pages(4) - 8, 16));

        Assert.Contains("0x3ff8 + 0x10 is beyond the physical-memory file (0x4000 bytes)", e.Message);
        Assert.DoesNotContain("Success", e.Message);
        Assert.Equal(new byte[8], stub.ReadPhysicalMemory(Pages(4) - 8, 8));
    }

    /// <summary>
    /// A stub (or whoever writes its data area) that claims to have run more tuples than the
    /// batch held: the engine must not read results past the batch, and cannot know what ran.
    /// The value is written from outside, through /proc/&lt;stub&gt;/fd/3, right after the batch.
    /// </summary>
    [SkippableTheory]
    [InlineData(false, 4UL)]
    [InlineData(false, 0xffffffffUL)]
    [InlineData(true, 4UL)]
    [InlineData(true, 0xffffffffUL)]
    public void CorruptExecutedCountFaultsTheStubInsteadOfReadingPastTheBatch(bool rawTuples, ulong executed)
    {
        var stub = Start();
        int pid = stub.ProcessId;
        stub.RoundTrip = new CorruptingRoundTrip(stub.RoundTrip, pid, stub.Abi.WordSize, executed);

        StubExitedException e;
        if (rawTuples)
        {
            ulong[] Mmap(int page) => [At(page), Page, 1, 0x11, 4, 0];
            e = Assert.Throws<StubExitedException>(() => stub.RunBatchSyscalls(false, (Abi.MmapNr, Mmap(0)), (Abi.MmapNr, Mmap(2)), (Abi.MmapNr, Mmap(4))));
        }
        else
        {
            foreach (int page in new[] { 0, 2, 4 })
            {
                stub.Enqueue(VmOpKind.Mmap, At(page), Page, VmProtection.Read, 0);
            }
            e = Assert.Throws<StubExitedException>(() => Flush(stub));
        }

        Assert.Contains($"wrote back an executed count of {executed} for a batch of 3", e.Message);
        Assert.Equal(StubState.Faulted, stub.State);
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
        Assert.DoesNotContain(pid, ProcView.Children());
        var next = Start();
        next.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(next).Results).Status);
    }

    /// <summary>The real round trip, then a bogus executed count written as another process would.</summary>
    private sealed class CorruptingRoundTrip(IStubRoundTrip inner, int pid, int wordSize, ulong executed) : IStubRoundTrip
    {
        public long RunSingle(long nr, ReadOnlySpan<ulong> args) => inner.RunSingle(nr, args);

        public void RunBatch()
        {
            inner.RunBatch();
            using var file = new FileStream($"/proc/{pid}/fd/3", FileMode.Open, FileAccess.Write);
            file.Position = StubDataLayout.Executed * wordSize;
            file.Write(wordSize == 8 ? BitConverter.GetBytes(executed) : BitConverter.GetBytes((uint)executed));
        }
    }

    private static (int ExitCode, string Error) RunTruncate(string size, string path)
    {
        var info = new ProcessStartInfo("truncate") { RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-s");
        info.ArgumentList.Add(size);
        info.ArgumentList.Add(path);
        using var process = Process.Start(info)!;
        string error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(10_000), "truncate did not end within 10 s");
        return (process.ExitCode, error);
    }
}
