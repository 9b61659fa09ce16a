using System.Diagnostics;
using System.Runtime.InteropServices;
using UmlTlb.Abi;
using UmlTlb.Native;
using UmlTlb.Tracing;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// Null round trips timed at three depths (from the caller, through the seam, inside the tracer thread):
/// the hand-off and SIGCHLD ways subtract them from each other. The syscall is munmap of zero bytes,
/// which the kernel refuses with EINVAL at once: it changes nothing, and the stub's seccomp filter lets
/// it through (getpid would kill the stub).
/// </summary>
internal static unsafe class RoundTripLoops
{
    private const ulong NullCallAddress = 0x10000;
    private const long NullCallResult = -22;

    /// <summary>Null round trips issued from the caller thread through RunSingleSyscall (allocates, locks, hands off).</summary>
    public static long Caller(StubProcess stub, int count)
    {
        long nr = stub.Abi.MunmapNr;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            if (stub.RunSingleSyscall(nr, NullCallAddress, 0) != NullCallResult)
            {
                throw new InvalidOperationException("munmap of zero bytes through the stub returned something else than EINVAL.");
            }
        }
        return Stopwatch.GetTimestamp() - start;
    }

    /// <summary>Null round trips through IStubRoundTrip.RunSingle: the hand-off without RunSingleSyscall's extras.</summary>
    public static long CallerRaw(StubProcess stub, int count)
    {
        long nr = stub.Abi.MunmapNr;
        Span<ulong> args = stackalloc ulong[6];
        args[0] = NullCallAddress;
        var roundTrip = stub.RoundTrip;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            roundTrip.RunSingle(nr, args);
        }
        return Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// <paramref name="count"/> null round trips inside ONE command on the tracer thread, exactly as
    /// PtraceRoundTrip.RunSingleOnTracer does them (RunToTrap: SETREGS, CONT, waitpid, GETSIGINFO); or, with
    /// <paramref name="rawPtrace"/>, SETREGS, CONT and waitpid only. Timed on the tracer thread.
    /// </summary>
    public static long InTracer(StubProcess stub, StubTracer tracer, int count, bool rawPtrace)
    {
        var abi = stub.Abi;
        var data = stub.Data;
        ulong entry = data[StubDataLayout.SyscallStub];
        long nr = abi.MunmapNr;
        long elapsed = 0;
        long wrong = 0;
        tracer.Invoke(ptraceStub =>
        {
            Span<ulong> args = stackalloc ulong[6];
            args[0] = NullCallAddress;
            var initial = tracer.InitialRegisters;
            int pid = ptraceStub.Pid;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                var regs = initial;
                abi.LoadSyscall(ref regs, nr, args);
                regs.rip = entry;
                if (rawPtrace)
                {
                    regs.orig_rax = ulong.MaxValue;
                    if (Interop.ptrace(Interop.PTRACE_SETREGS, pid, 0, (nint)(&regs)) != 0
                        || Interop.ptrace(Interop.PTRACE_CONT, pid, 0, 0) != 0
                        || Interop.waitpid(pid, out int status, Interop.__WALL) != pid
                        || (status & 0xffff) != 0x057f /* stopped by SIGTRAP */)
                    {
                        throw new InvalidOperationException($"raw round trip failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                else
                {
                    ptraceStub.RunToTrap(ref regs);
                }
                wrong += abi.ToResult(data[StubDataLayout.Result]) == NullCallResult ? 0 : 1;
            }
            elapsed = Stopwatch.GetTimestamp() - start;
        });
        if (wrong != 0)
        {
            throw new InvalidOperationException($"{wrong} in-tracer null round trips returned something else than EINVAL.");
        }
        return elapsed;
    }
}
