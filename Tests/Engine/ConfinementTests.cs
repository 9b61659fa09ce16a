using UmlTlb.Abi;
using UmlTlb.Tracing;

namespace UmlTlb.Tests;

/// <summary>
/// The stub's seccomp filter (Stubs/seccomp.h), seen from outside: /proc/pid/status, and
/// what happens to a stub whose data area asks for something else than its ops.
/// </summary>
public abstract class ConfinementTests : StubTestBase
{
    private const ulong MapSharedFixed = 0x11, MapPrivateFixed = 0x12, MapSharedFixedAnonymous = 0x31;
    private const ulong ProtRead = 1, ProtExec = 4, ProtSem = 8, ProtGrowsDown = 0x01000000;

    protected ConfinementTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : ConfinementTests(fixture, output, StubArchitecture.x86_64)
    {
        /// <summary>Only a 64-bit syscall has upper halves to smuggle bits in; the filter checks them too.</summary>
        [SkippableTheory]
        [InlineData(3, 0x1_0000_0011UL)]
        [InlineData(4, 0x1_0000_0004UL)]
        [InlineData(2, 0x1_0000_0001UL)]
        public void MmapWithAnUpperHalfBitKillsTheStub(int argument, ulong value)
        {
            var args = new ulong[] { At(1), Page, ProtRead, MapSharedFixed, 4, 0 };
            args[argument] = value;
            AssertKilledBySigsys((Abi.MmapNr, args));
        }
    }

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : ConfinementTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : ConfinementTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : ConfinementTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private long FutexNr => Architecture == StubArchitecture.x86_64 ? 202 : 240;

    private const ulong FutexWait = 0, FutexWake = 1, FutexRequeue = 3, FutexPrivateFlag = 128;

    private static ulong WordAddress(StubProcess stub, int word) => stub.StubDataAddress + (ulong)(word * stub.Abi.WordSize);

    /// <summary>The Doorbell transport's two futex forms pass the filter (as tuples too, from the code page).</summary>
    [SkippableFact]
    public void TheDoorbellFutexFormsRun()
    {
        var stub = Start();
        ulong doorbell = WordAddress(stub, StubDataLayout.Doorbell), done = WordAddress(stub, StubDataLayout.DoorbellDone);

        // A wait whose value does not match returns EAGAIN at once; a wake with nobody (or the engine) asleep returns a count.
        var (results, executed) = stub.RunBatchSyscalls(false, (FutexNr, [doorbell, FutexWait, 0xfffffffe]), (FutexNr, [done, FutexWake, 1]));

        Assert.Equal(1, executed);
        Assert.Equal(-11, results[0]);
        (results, executed) = stub.RunBatchSyscalls(false, (FutexNr, [done, FutexWake, 1]));
        Assert.Equal(1, executed);
        Assert.InRange(results[0], 0, 1);
        Assert.Equal(StubState.Running, stub.State);
    }

    [SkippableTheory]
    [InlineData("FUTEX_WAKE on the doorbell word")]
    [InlineData("FUTEX_WAIT on the done word")]
    [InlineData("FUTEX_WAIT_PRIVATE on the doorbell word")]
    [InlineData("FUTEX_WAIT on another data word")]
    [InlineData("FUTEX_REQUEUE from the doorbell word")]
    public void AnyOtherFutexKillsTheStub(string what)
    {
        SkipUnlessSupported();
        AssertKilledBySigsys(stub =>
        {
            ulong doorbell = WordAddress(stub, StubDataLayout.Doorbell), done = WordAddress(stub, StubDataLayout.DoorbellDone);
            ulong[] args = what switch
            {
                "FUTEX_WAKE on the doorbell word" => [doorbell, FutexWake, 1],
                "FUTEX_WAIT on the done word" => [done, FutexWait, 0xfffffffe],
                "FUTEX_WAIT_PRIVATE on the doorbell word" => [doorbell, FutexWait | FutexPrivateFlag, 0xfffffffe],
                "FUTEX_WAIT on another data word" => [WordAddress(stub, StubDataLayout.Result), FutexWait, 0xfffffffe],
                "FUTEX_REQUEUE from the doorbell word" => [doorbell, FutexRequeue, 1, 1, done],
                _ => throw new ArgumentOutOfRangeException(nameof(what)),
            };
            stub.RunBatchSyscalls(false, (FutexNr, args));
        });
    }

    [SkippableFact]
    public void StubRunsUnderASeccompFilterWithNoNewPrivileges()
    {
        var stub = Start();
        var status = ProcView.Status(stub.ProcessId)!;

        Assert.Equal("2", status["Seccomp"]); // SECCOMP_MODE_FILTER
        Assert.True(int.Parse(status["Seccomp_filters"]) >= 1, $"Seccomp_filters: {status["Seccomp_filters"]}");
        Assert.Equal("1", status["NoNewPrivs"]);
        // What pgrep matches, and no core file into the caller's directory on a fault.
        Assert.Equal("umltlb-stub", status["Name"]);
        var core = File.ReadAllLines($"/proc/{stub.ProcessId}/limits").Single(l => l.StartsWith("Max core file size", StringComparison.Ordinal));
        Assert.Matches(@"^Max core file size\s+0\s+0\s+bytes", core);
    }

    [SkippableFact]
    public void TheOpsSyscallsRunOnBothPaths()
    {
        var stub = Start();

        Assert.Equal((long)At(0), stub.RunSingleSyscall(Abi.MmapNr, At(0), Page, ProtRead, MapSharedFixed, 4, 0));
        Assert.Equal(0, stub.RunSingleSyscall(Abi.MprotectNr, At(0), Page, ProtRead | ProtExec));
        Assert.Equal("r-xs", Assert.Single(ProcView.Maps(stub.ProcessId), m => m.Start == At(0)).Perms);
        Assert.Equal(0, stub.RunSingleSyscall(Abi.MunmapNr, At(0), Page));

        var (results, executed) = stub.RunBatchSyscalls(false,
            (Abi.MmapNr, [At(2), Page, ProtRead, MapSharedFixed, 4, 0]),
            (Abi.MprotectNr, [At(2), Page, 0]),
            (Abi.MunmapNr, [At(0), Page]));
        Assert.Equal(3, executed);
        Assert.Equal(new[] { (long)At(2), 0, 0 }, results);
        Assert.Equal("---s", Assert.Single(ProcView.Maps(stub.ProcessId), m => m.Start == At(2)).Perms);
        Assert.Equal(StubState.Running, stub.State);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void GetpidKillsTheStubOnBothPaths(bool batch)
    {
        if (batch)
        {
            AssertKilledBySigsys((GetpidNr, []));
        }
        else
        {
            AssertKilledBySigsys(stub => stub.RunSingleSyscall(GetpidNr));
        }
    }

    [SkippableTheory]
    [InlineData("open")]
    [InlineData("mmap MAP_PRIVATE")]
    [InlineData("mmap MAP_ANONYMOUS")]
    [InlineData("mmap of the data area's fd")]
    [InlineData("mmap with PROT_SEM")]
    [InlineData("mprotect with PROT_GROWSDOWN")]
    [InlineData("mprotect with PROT_SEM")]
    public void ForbiddenTupleKillsTheStub(string what)
    {
        long openNr = Architecture == StubArchitecture.x86_64 ? 2 : 5;
        (long, ulong[]) tuple = what switch
        {
            "open" => (openNr, [0, 0, 0]),
            "mmap MAP_PRIVATE" => (Abi.MmapNr, [At(1), Page, ProtRead, MapPrivateFixed, 4, 0]),
            "mmap MAP_ANONYMOUS" => (Abi.MmapNr, [At(1), Page, ProtRead, MapSharedFixedAnonymous, 4, 0]),
            "mmap of the data area's fd" => (Abi.MmapNr, [At(1), Page, ProtRead, MapSharedFixed, 3, 0]),
            "mmap with PROT_SEM" => (Abi.MmapNr, [At(1), Page, ProtRead | ProtSem, MapSharedFixed, 4, 0]),
            "mprotect with PROT_GROWSDOWN" => (Abi.MprotectNr, [At(0), Page, ProtRead | ProtGrowsDown]),
            "mprotect with PROT_SEM" => (Abi.MprotectNr, [At(0), Page, ProtRead | ProtSem]),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        AssertKilledBySigsys(tuple);
    }

    /// <summary>
    /// An op can map executable pages; code there must not make syscalls. The page holds a
    /// syscall instruction and an int3, and the tracer points the stub at it with an allowed
    /// munmap: without the filter's instruction-pointer rule the munmap would run and the
    /// int3 (not the stub's own, so delivered as a signal) would end it with SIGTRAP.
    /// </summary>
    [SkippableFact]
    public void SyscallFromAMappedPageKillsTheStub()
    {
        Skip.If(Transport == StubTransport.Doorbell, "points the stub somewhere through its tracer thread, which only the Ptrace transport lets run commands; the filter is the same for both");
        var stub = Start();
        byte[] code = Architecture == StubArchitecture.x86_64 ? [0x0f, 0x05, 0xcc] : [0xcd, 0x80, 0xcc]; // syscall / int $0x80; int3
        stub.WritePhysicalMemory(0, code);
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read | VmProtection.Execute, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(stub).Results).Status);
        Assert.Equal("r-xs", Assert.Single(ProcView.Maps(stub.ProcessId), m => m.Start == At(0)).Perms);

        AssertKilledBySigsys(stub, s => s.Tracer.Invoke(ptraceStub =>
        {
            var regs = s.Tracer.InitialRegisters;
            s.Abi.LoadSyscall(ref regs, s.Abi.MunmapNr, [At(4), Page, 0, 0, 0, 0]);
            regs.rip = At(0);
            ptraceStub.RunToTrap(ref regs);
        }));
    }

    private void AssertKilledBySigsys((long Nr, ulong[] Args) tuple) =>
        AssertKilledBySigsys(stub => stub.RunBatchSyscalls(false, tuple));

    private void AssertKilledBySigsys(Action<StubProcess> forbidden)
    {
        var stub = Start();
        // A valid flush right before.
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(stub).Results).Status);
        Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(0));

        AssertKilledBySigsys(stub, forbidden);
    }

    /// <summary>
    /// Runs <paramref name="forbidden"/> on a running stub: the stub must die of SIGSYS, the
    /// engine report it Faulted naming SIGSYS, no zombie or child remain, and a new stub work.
    /// </summary>
    private void AssertKilledBySigsys(StubProcess stub, Action<StubProcess> forbidden)
    {
        int pid = stub.ProcessId;

        var e = Assert.Throws<StubExitedException>(() => forbidden(stub));

        Assert.Contains("SIGSYS", e.Message);
        Assert.Equal(StubState.Faulted, stub.State);
        Assert.Equal(31, stub.Termination!.Signal);
        Assert.Equal("SIGSYS", stub.Termination.SignalName);
        // A zombie keeps its /proc entry: gone means reaped.
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
        Assert.DoesNotContain(pid, ProcView.Children());
        Assert.Throws<StubExitedException>(() => Ping(stub));

        // A new stub right after.
        var next = Start();
        next.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(next).Results).Status);
        Assert.Contains(ProcView.Maps(next.ProcessId), m => m.Start == At(0));
        Assert.Equal(EINVAL, Ping(next));
    }
}
