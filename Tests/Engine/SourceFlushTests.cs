using System.Globalization;
using System.Text;
using UmlTlb.Sources;

namespace UmlTlb.Tests;

/// <summary>
/// Files of ops read by the engine itself (Invoke-VmFlush -Path): CSV rows checked as
/// Add-VmOp checks them, recorded straces translated and replayed, huge inputs in bounded
/// memory, and stopping; every outcome is checked against /proc/pid/maps.
/// </summary>
public abstract class SourceFlushTests : StubTestBase, IDisposable
{
    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write;
    private readonly string _dir = Directory.CreateTempSubdirectory("umltlb-sources-").FullName;

    protected SourceFlushTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : SourceFlushTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : SourceFlushTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : SourceFlushTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : SourceFlushTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    /// <summary>Collects what the flush says, as the cmdlet would write it.</summary>
    private sealed class Recorder : ISourceFlushSink
    {
        public List<VmOpResult> Results { get; } = new();
        public List<SourceRowError> Errors { get; } = new();
        public List<(long Line, string Why)> Left { get; } = new();
        public List<string> Notes { get; } = new();
        public long LastBytes { get; private set; }
        public Action<VmOpResult>? OnResult { get; init; }
        public Action? OnProgress { get; init; }

        public void Result(VmOpResult result)
        {
            Results.Add(result);
            OnResult?.Invoke(result);
        }

        public void RowError(SourceRowError error) => Errors.Add(error);

        public void LeftOut(string path, long line, string why) => Left.Add((line, why));

        public void Note(string text) => Notes.Add(text);

        public void Progress(string path, int fileIndex, int fileCount, long bytesRead, long totalBytes)
        {
            LastBytes = bytesRead;
            OnProgress?.Invoke();
        }
    }

    void IDisposable.Dispose()
    {
        Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Hex(ulong value) => $"0x{value:x}";

    [SkippableFact]
    public void CsvRowsRunAndEachBadRowIsReportedWithItsLineFieldAndValue()
    {
        var stub = Start();
        string csv = Write("mixed.csv", string.Join('\n',
            "op,ADDRESS,Length,Prot,Offset,Comment",                       // 1: aliases, any case, extra column
            $"Mmap,{Hex(At(0))},0x1000,rw-,0x1000,first",                   // 2
            $"Mmap,{Hex(At(1))} junk,0x1000,rw-,0x2000,bad number",         // 3
            $"mmap,{Hex(At(1))},4096,RW,0x2000,merges into line 2",         // 4
            $"\"Mmap,Munmap\",{Hex(At(4))},0x1000,r--,0,comma list",        // 5
            $"Mprotect,{Hex(At(0))},0x1000,rwz,,bad protection",            // 6
            $"Mmap,{Hex(At(4) + 1)},0x1000,r--,0,unaligned",                // 7
            "",                                                              // 8: blank
            $"+1,{Hex(At(4))},0x1000,r--,0,sign",                            // 9
            $"Mprotect,{Hex(At(0))},0x1000,r--,,",                          // 10
            $"Munmap,{Hex(At(1))},0x1000,,,",                               // 11
            $"Mmap,{Hex(At(6))},0x1000,r--,0x10000000000000000,2^64"));      // 12
        var sink = new Recorder();

        var summary = SourceFlush.Run(stub, [csv], new SourceFlushOptions(), sink);

        Assert.Equal(
            new[] { (3L, "Address", $"{Hex(At(1))} junk"), (5L, "Operation", "Mmap,Munmap"), (6L, "Protection", "rwz"),
                (7L, "Address", Hex(At(4) + 1)), (9L, "Operation", "+1"), (12L, "Offset", "0x10000000000000000") },
            sink.Errors.Select(e => (e.Line, e.Field, e.Value)));
        Assert.All(sink.Errors, e => Assert.Equal(csv, e.Path));
        Assert.Contains("is not an operation: use Mmap, Munmap or Mprotect.", sink.Errors[1].Message);
        Assert.Contains($"{csv}, line 7, Address", sink.Errors[3].Message);
        Assert.Equal(new[] { 2L, 10L, 11L }, sink.Results.Select(r => r.Line));
        Assert.All(sink.Results, r => Assert.Equal((csv, VmOpStatus.Succeeded), (r.Source, r.Status)));
        Assert.Equal(2, sink.Results[0].MergedCount);
        Assert.Equal((4L, 3L, 6L, 1L), (summary.Operations, summary.HostOperations, summary.Rejected, summary.Merged));
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Pages(2), RW, Pages(1));
        model.Apply(VmOpKind.Mprotect, At(0), Page, R, 0);
        model.Apply(VmOpKind.Munmap, At(1), Page, 0, 0);
        model.AssertMapsMatch(stub, "csv");
    }

    [SkippableFact]
    public void CsvWithoutTheNeededColumnsIsOneErrorNamingThem()
    {
        var stub = Start();
        string csv = Write("header.csv", "Operation,Start,Size\nMmap,0x10000000,0x1000\n");
        var sink = new Recorder();

        var summary = SourceFlush.Run(stub, [csv], new SourceFlushOptions(), sink);

        var error = Assert.Single(sink.Errors);
        Assert.Equal((1L, "header", "MissingField"), (error.Line, error.Field, error.Reason));
        Assert.Contains("no Address or Length column: it has Operation, Start, Size", error.Message);
        Assert.Equal(0, summary.Operations);
    }

    [SkippableFact]
    public void AFileThatCannotBeReadIsOneErrorAndTheNextFileRuns()
    {
        var stub = Start();
        string missing = Path.Combine(_dir, "gone.csv");
        string good = Write("good.csv", $"Operation,Address,Length,Protection,Offset\nMmap,{Hex(At(0))},0x1000,r--,0\n");
        var sink = new Recorder();

        SourceFlush.Run(stub, [missing, good], new SourceFlushOptions(), sink);

        var error = Assert.Single(sink.Errors);
        Assert.Equal((missing, "Path", "FileUnreadable"), (error.Path, error.Field, error.Reason));
        Assert.Equal(good, Assert.Single(sink.Results).Source);
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Page, R, 0);
        model.AssertMapsMatch(stub, "after an unreadable file");
    }

    [SkippableFact]
    public void FailingOpStopsTheFlushUnlessContinueOnError()
    {
        foreach (bool keepGoing in new[] { false, true })
        {
            var stub = Start();
            string csv = Write($"fail-{keepGoing}.csv", string.Join('\n',
                "Operation,Address,Length,Protection,Offset",
                $"Mmap,{Hex(At(0))},0x1000,r--,0",
                $"Mprotect,{Hex(At(8))},0x1000,r--,",
                $"Mmap,{Hex(At(2))},0x1000,r--,0"));
            var sink = new Recorder();

            var summary = SourceFlush.Run(stub, [csv], new SourceFlushOptions { ContinueOnError = keepGoing }, sink);

            Assert.Equal(
                keepGoing ? new[] { VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Succeeded } : new[] { VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Skipped },
                sink.Results.Select(r => r.Status));
            Assert.Equal(new[] { 2L, 3L, 4L }, sink.Results.Select(r => r.Line));
            Assert.Equal(1, summary.Failed);
            var model = new AddressSpaceModel();
            model.Apply(VmOpKind.Mmap, At(0), Page, R, 0);
            if (keepGoing)
            {
                model.Apply(VmOpKind.Mmap, At(2), Page, R, 0);
            }
            model.AssertMapsMatch(stub, $"continueOnError={keepGoing}");
        }
    }

    /// <summary>
    /// A generated stream (a FIFO, so the reader cannot know its size) of 200,000 rows:
    /// the queue never holds more than a data area and one op, and the stub ends as the model says.
    /// </summary>
    [SkippableFact]
    public void HugeGeneratedStreamRunsInBoundedMemory()
    {
        var stub = Start(physicalPages: 256);
        const int Rows = 200_000, Slots = 64;
        string fifo = Path.Combine(_dir, "stream.csv");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", [fifo]))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }
        var model = new AddressSpaceModel();
        var writer = Task.Run(() =>
        {
            using var w = new StreamWriter(fifo);
            w.WriteLine("Operation,Address,Length,Protection,Offset");
            for (int i = 0; i < Rows; i++)
            {
                // Per slot of 4 pages: mmap it, mprotect its second page, unmap its last; slots in order, so mmaps merge.
                int slot = i / 3 % Slots;
                ulong at = At(slot * 4);
                switch (i % 3)
                {
                    case 0:
                        w.WriteLine($"Mmap,{Hex(at)},0x4000,rw-,{Hex(Pages(slot % 32 * 4))}");
                        model.Apply(VmOpKind.Mmap, at, Pages(4), RW, Pages(slot % 32 * 4));
                        break;
                    case 1:
                        w.WriteLine($"Mprotect,{Hex(at + Page)},0x1000,r--,");
                        model.Apply(VmOpKind.Mprotect, at + Page, Page, R, 0);
                        break;
                    default:
                        w.WriteLine($"Munmap,{Hex(at + Pages(3))},0x1000,,");
                        model.Apply(VmOpKind.Munmap, at + Pages(3), Page, 0, 0);
                        break;
                }
            }
        });
        int most = 0, samples = 0;
        var sink = new Recorder { OnProgress = () => (most, samples) = (Math.Max(most, stub.PendingOperations), samples + 1) };

        var summary = SourceFlush.Run(stub, [fifo], new SourceFlushOptions { ResultForEveryOp = false }, sink);
        writer.Wait(TimeSpan.FromMinutes(2));

        Assert.Empty(sink.Errors);
        Assert.Empty(sink.Results); // a summary: no result per op, and none failed
        Assert.Equal((long)Rows, summary.Operations);
        Assert.True(summary.Batches >= Rows / 3 / stub.BatchCapacity, $"{summary.Batches} batches");
        Assert.InRange(stub.GetStatistics().Failed, 0, 0);
        model.AssertMapsMatch(stub, "stream");
        Assert.True(samples >= Rows / (1 << 14), $"{samples} progress reports");
        Assert.InRange(most, 0, stub.BatchCapacity + 1);
        Assert.Equal(0, stub.PendingOperations);
    }
    [SkippableFact]
    public void StoppingEndsReadingAndEveryOpThatRanWasReported()
    {
        var stub = Start();
        var text = new StringBuilder("Operation,Address,Length,Protection,Offset\n");
        for (int i = 0; i < 50_000; i++)
        {
            // Offsets that do not follow on: every op is its own host op.
            text.Append(CultureInfo.InvariantCulture, $"Mmap,{Hex(At(i % 64))},0x1000,{(i % 2 == 0 ? "r--" : "rw-")},{Hex(Pages(i % 3 * 5))}\n");
        }
        string csv = Write("long.csv", text.ToString());
        using var stop = new CancellationTokenSource();
        var sink = new Recorder { OnResult = r => { if (r.Sequence >= 300) { stop.Cancel(); } } };

        var summary = SourceFlush.Run(stub, [csv], new SourceFlushOptions { Cancellation = stop.Token }, sink);

        Assert.True(summary.Stopped);
        Assert.InRange(sink.Results.Count, 300, 300 + 2 * stub.BatchCapacity);
        Assert.Equal(summary.HostOperations, sink.Results.Count);
        Assert.Equal(0, stub.PendingOperations);
        Assert.Contains(sink.Notes, n => n.StartsWith("Stopped:", StringComparison.Ordinal));
        var model = new AddressSpaceModel();
        foreach (var r in sink.Results)
        {
            Assert.Equal(VmOpStatus.Succeeded, r.Status);
            model.Apply(r.Operation, r.Address, r.Length, r.Protection, r.Offset);
        }
        model.AssertMapsMatch(stub, "stopped");
        Assert.Equal(sink.Results[^1].Line - 1, sink.Results.Count); // line 2 is op 1: nothing after the last reported op ran
    }

    /// <summary>A small hand-written trace with every case of the translation, at addresses that fit both architectures.</summary>
    private string SyntheticTrace(bool execAtEnd)
    {
        string A(int page, ulong plus = 0) => Hex(At(page) + plus);
        var lines = new List<string>
        {
            "100 execve(\"/bin/prog\", [\"prog\"], 0x7ffc00000000 /* 1 var */) = 0",                                   // 1
            $"100 brk(NULL)                         = {A(40, 0x10)}",                                                  // 2
            $"100 mmap(NULL, 5000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = {A(0)}",                 // 3
            "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = -1 ENOMEM (Cannot allocate memory)",               // 4
            $"100 mprotect({A(0)}, 4096, PROT_READ) = 0",                                                             // 5
            "100 clone(child_stack=0x7f0000001000, flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, parent_tid=[101]) = 101", // 6
            $"101 mmap({A(4)}, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED, 3, 0) = {A(4)}",                    // 7
            "100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f0000002000) = 102", // 8
            $"102 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = {A(10)}",                          // 9
            "101 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>",          // 10
            $"100 munmap({A(1)}, 4096)     = 0",                                                                      // 11
            $"101 <... mmap resumed>)               = {A(12)}",                                                        // 12
            $"100 brk({A(40, 0x3010)}) = {A(40, 0x3010)}",                                                            // 13
            $"100 brk({A(40, 0x1010)}) = {A(40, 0x1010)}",                                                            // 14
            $"100 mremap({A(4)}, 8192, 12288, MREMAP_MAYMOVE) = {A(20)}",                                             // 15
            "100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 3, 0) = 0xfffffffff000",                                   // 16
            "100 --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=102} ---",                               // 17
        };
        if (execAtEnd)
        {
            lines.Add("100 execve(\"/bin/other\", [\"other\"], 0x7ffc00000000 /* 1 var */) = 0");                      // 18
            lines.Add($"100 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = {A(30)}");               // 19
        }
        lines.Add("100 +++ exited with 0 +++");
        return Write($"synthetic-{execAtEnd}.strace", string.Join('\n', lines) + "\n");
    }

    [SkippableFact]
    public void StraceCallsBecomeFixedMapsOfTheNextFreePhysicalPages()
    {
        var stub = Start();
        string trace = SyntheticTrace(execAtEnd: false);
        var sink = new Recorder();

        var summary = SourceFlush.Run(stub, [trace], new SourceFlushOptions { Format = VmOpSourceFormat.Strace }, sink);

        Assert.Empty(sink.Errors);
        Assert.Equal(new long[] { 4, 12, 16 }, sink.Left.Select(l => l.Line));
        Assert.Contains("failed: -1 ENOMEM", sink.Left[0].Why);
        Assert.Contains("two halves", sink.Left[1].Why);
        Assert.Contains("UserAddressLimit", sink.Left[2].Why);
        Assert.Equal(3, summary.LeftOut);
        Assert.Contains(sink.Notes, n => n.Contains("pid 102 (1 memory calls)", StringComparison.Ordinal));
        Assert.All(sink.Results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal(new long[] { 3, 5, 7, 11, 13, 14, 15, 15 }, sink.Results.Select(r => r.Line));
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Pages(2), RW, 0);
        model.Apply(VmOpKind.Mprotect, At(0), Page, R, 0);
        model.Apply(VmOpKind.Mmap, At(4), Pages(2), R | VmProtection.Execute, Pages(2));
        model.Apply(VmOpKind.Munmap, At(1), Page, 0, 0);
        model.Apply(VmOpKind.Mmap, At(41), Pages(3), RW, Pages(4));
        model.Apply(VmOpKind.Munmap, At(42), Pages(2), 0, 0);
        model.Apply(VmOpKind.Munmap, At(4), Pages(2), 0, 0);
        model.Apply(VmOpKind.Mmap, At(20), Pages(3), RW, Pages(7));
        model.AssertMapsMatch(stub, "synthetic trace");
        Assert.Equal(model.Pages, TraceModel.Replay(File.ReadLines(trace), stub.UserAddressLimit, stub.PhysicalMemorySize).Model.Pages);
    }

    [SkippableFact]
    public void ProcessIdPicksAnotherAddressSpaceAndExecStartsAFreshOne()
    {
        var child = Start();
        var sink = new Recorder();
        SourceFlush.Run(child, [SyntheticTrace(execAtEnd: false)], new SourceFlushOptions { Format = VmOpSourceFormat.Strace, ProcessId = 102 }, sink);
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(10), Page, R, 0);
        model.AssertMapsMatch(child, "pid 102");
        Assert.Empty(sink.Left);

        var missing = new Recorder();
        SourceFlush.Run(child, [SyntheticTrace(execAtEnd: false)], new SourceFlushOptions { Format = VmOpSourceFormat.Strace, ProcessId = 7 }, missing);
        var error = Assert.Single(missing.Errors);
        Assert.Equal(("ProcessId", "7"), (error.Field, error.Value));
        Assert.Contains("it has pids 100, 101, 102", error.Message);

        var exec = Start();
        SourceFlush.Run(exec, [SyntheticTrace(execAtEnd: true)], new SourceFlushOptions { Format = VmOpSourceFormat.Strace }, new Recorder());
        var fresh = new AddressSpaceModel();
        fresh.Apply(VmOpKind.Mmap, At(30), Page, R, Pages(10));
        fresh.AssertMapsMatch(exec, "after exec");
    }

    /// <summary>
    /// The shipped trace of a real program (Tests/Traces/record-python3.sh): replayed with
    /// -ContinueOnError (calls on the program's own image, which the kernel mapped at exec and the
    /// trace does not show, fail with ENOMEM), it ends as the independent model says. On i386 only
    /// what lies below 4 GiB is replayed: the program break's heap and the program's own pages.
    /// </summary>
    [SkippableFact]
    public void ShippedPythonTraceReplaysAsTheIndependentModelSays()
    {
        var stub = Start(physicalPages: 16384);
        string trace = Path.Combine(Fixture.RepoRoot, "Tests", "Traces", "python3-start.strace");
        var sink = new Recorder();

        var summary = SourceFlush.Run(stub, [trace], new SourceFlushOptions { Format = VmOpSourceFormat.Strace, ContinueOnError = true }, sink);

        var expected = TraceModel.Replay(File.ReadLines(trace), stub.UserAddressLimit, stub.PhysicalMemorySize);
        Output.WriteLine($"{Architecture}: {summary.Operations} ops, {summary.HostOperations} host ops, {summary.RoundTrips} round trips, "
            + $"{summary.Failed} failed, {summary.LeftOut} left out; model: {expected.Ops} ops, {expected.LeftOut} left out, {expected.Model.Pages.Count} pages");
        Assert.Empty(sink.Errors);
        Assert.Equal((long)expected.Ops, summary.Operations);
        Assert.Equal((long)expected.LeftOut, summary.LeftOut);
        Assert.True(expected.Ops > (Architecture == StubArchitecture.x86_64 ? 150 : 10), $"{expected.Ops} ops replayed");
        Assert.NotEmpty(expected.Model.Pages);
        expected.Model.AssertMapsMatch(stub, "python3 trace");
    }
}
