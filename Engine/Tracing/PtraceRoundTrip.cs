using UmlTlb.Abi;
using UmlTlb.Native;
using UmlTlb.Processes;

namespace UmlTlb.Tracing;

/// <summary>
/// A round trip as skas0 does it: PTRACE_SETREGS to point the stub at an entry,
/// PTRACE_CONT, and waitpid until its int3. Runs on the tracer thread; the
/// caller's thread only hands the request over, with no allocation per trip.
/// </summary>
internal sealed class PtraceRoundTrip : IStubRoundTrip
{
    private readonly StubTracer _tracer;
    private readonly StubAbi _abi;
    private readonly DataArea _data;
    private readonly ulong _syscallStub;
    private readonly ulong _batchStub;
    private readonly Action<PtraceStub> _single;
    private readonly Action<PtraceStub> _batch;
    private readonly ulong[] _args = new ulong[6];
    private long _nr;
    private long _result;

    // Both entries jump to batch_syscall_stub after their trap; only the start-up trap does not.
    private bool _resumesIntoBatch;

    public PtraceRoundTrip(StubTracer tracer, StubAbi abi, DataArea data)
    {
        _tracer = tracer;
        _abi = abi;
        _data = data;
        _syscallStub = data[StubDataLayout.SyscallStub];
        _batchStub = data[StubDataLayout.BatchStub];
        _single = RunSingleOnTracer;
        _batch = RunBatchOnTracer;
    }

    public long RunSingle(long nr, ReadOnlySpan<ulong> args)
    {
        _nr = nr;
        args.CopyTo(_args);
        _tracer.Invoke(_single, expectShort: true);
        return _result;
    }

    public void RunBatch() => _tracer.Invoke(_batch);

    private void RunSingleOnTracer(PtraceStub stub)
    {
        var regs = _tracer.InitialRegisters;
        _abi.LoadSyscall(ref regs, _nr, _args);
        regs.rip = _syscallStub;
        stub.RunToTrap(ref regs);
        _resumesIntoBatch = true;
        // syscall_stub stores its result in the data area, as the 2005 stub did: no PTRACE_GETREGS needed.
        _result = _abi.ToResult(_data[StubDataLayout.Result]);
    }

    private void RunBatchOnTracer(PtraceStub stub)
    {
        if (_resumesIntoBatch)
        {
            stub.Resume();
            stub.WaitForTrap();
            return;
        }
        var regs = _tracer.InitialRegisters;
        regs.rip = _batchStub;
        stub.RunToTrap(ref regs);
        _resumesIntoBatch = true;
    }
}
