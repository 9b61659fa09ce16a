using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using UmlTlb.Abi;
using UmlTlb.Native;
using UmlTlb.Processes;
using UmlTlb.Tracing;

namespace UmlTlb.Doorbell;

/// <summary>
/// A round trip without a ptrace stop: the caller's own thread writes the tuples, rings the
/// doorbell word and waits on the done word; the stub, looping in doorbell_stub, runs them.
/// One op is a batch of one, so both entries of the seam take the same path.
/// </summary>
/// <remarks>
/// Words (32-bit shared futexes in the data area, each on its own cache line):
/// doorbell = request number &lt;&lt; 1, bit 0 set by the stub when it sleeps;
/// done = last completed request &lt;&lt; 1, bit 0 set by the engine when it sleeps, or
/// <see cref="Terminal"/> once the tracer has reaped the stub. Each side writes its number with
/// an atomic exchange (a full barrier after the tuples or results: release) and reads the other's
/// with an acquire load before touching the data; a side calls FUTEX_WAKE only when the other
/// said it sleeps. Callers serialise on the stub's lock, as for the Ptrace transport.
/// </remarks>
internal sealed unsafe class DoorbellRoundTrip : IStubRoundTrip
{
    /// <summary>The done word of a stub that is gone; never a request number (those stay below 2^31).</summary>
    public const int Terminal = int.MinValue;

    private const int NumberMask = 0x3fffffff;

    private readonly string _name;
    private readonly StubAbi _abi;
    private readonly DataArea _data;
    private readonly int* _doorbell;
    private readonly int* _done;
    private readonly DoorbellSpin _spin;
    private Func<StubTermination?> _termination = static () => null;
    private int _number;

    public DoorbellRoundTrip(string name, StubAbi abi, DataArea data, int? stubCpu)
    {
        _name = name;
        _abi = abi;
        _data = data;
        _doorbell = data.FutexWord(StubDataLayout.Doorbell);
        _done = data.FutexWord(StubDataLayout.DoorbellDone);
        _spin = new DoorbellSpin(stubCpu);
    }

    /// <summary>Round trips whose completion a spin caught (no futex sleep), for the benchmark's notes.</summary>
    public long SpinHits => _spin.Hits;

    /// <summary>Where to learn how the stub ended, once its tracer has started.</summary>
    public void WatchedBy(StubTracer tracer) => _termination = () => tracer.Termination;

    public long RunSingle(long nr, ReadOnlySpan<ulong> args)
    {
        _data.WriteTuple(0, nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        _data.Terminate(1);
        _data[StubDataLayout.Flags] = 0;
        RingAndWait(1);
        return _abi.ToResult(_data.TupleResult(0));
    }

    public void RunBatch() => RingAndWait(_data.TupleCount);

    /// <summary>
    /// Called by the tracer thread once it has reaped the stub: ends any wait on the done word at
    /// once. The termination is already visible then, so a woken waiter can name it.
    /// </summary>
    public void StubGone()
    {
        Interlocked.Exchange(ref *_done, Terminal);
        Interop.futex_wake(_done, int.MaxValue);
    }

    private void RingAndWait(int tuples)
    {
        ThrowIfGone();
        bool spin = _spin.CallerMaySpin();
        _data[StubDataLayout.DoorbellSpin] = (ulong)_spin.StubIterations(spin);
        _number = (_number + 1) & NumberMask;
        int request = _number << 1;
        long start = Stopwatch.GetTimestamp();

        int before = Interlocked.Exchange(ref *_doorbell, request);
        bool stubSlept = (before & 1) != 0;
        if (stubSlept)
        {
            Interop.futex_wake(_doorbell, 1);
        }

        bool spun = spin && _spin.ShouldSpinFor(tuples);
        bool caught = spun && SpinUntilDone(request, start + _spin.CallerTicks);
        if (!caught)
        {
            SleepUntilDone(request);
        }
        _spin.Record(tuples, Stopwatch.GetTimestamp() - start, spun, caught, stubSlept);
    }

    private bool SpinUntilDone(int request, long until)
    {
        while (true)
        {
            int done = Volatile.Read(ref *_done);
            if ((done & ~1) == request)
            {
                return true;
            }
            if (done == Terminal || Stopwatch.GetTimestamp() > until)
            {
                return false;
            }
            X86Base.Pause();
        }
    }

    /// <summary>
    /// Sleeps on the done word until the request is done or the stub is gone. Liveness is checked
    /// before and after every wait, and the tracer writes <see cref="Terminal"/> and wakes us when it
    /// reaps the stub: a wait can neither miss a death nor outlive it. No timeout, no polling.
    /// </summary>
    private void SleepUntilDone(int request)
    {
        while (true)
        {
            int done = Volatile.Read(ref *_done);
            if (done == Terminal)
            {
                ThrowIfGone();
                throw new InvalidOperationException($"The doorbell of stub '{_name}' says the stub is gone, but it has no termination.");
            }
            if ((done & ~1) == request)
            {
                return;
            }
            ThrowIfGone();
            if ((done & 1) == 0)
            {
                // Say that we sleep, unless the stub finished meanwhile (then look again).
                if (Interlocked.CompareExchange(ref *_done, done | 1, done) != done)
                {
                    continue;
                }
                done |= 1;
            }
            Interop.futex_wait(_done, done);
        }
    }

    private void ThrowIfGone()
    {
        if (_termination() is { } termination)
        {
            throw new StubExitedException(_name, termination);
        }
    }
}
