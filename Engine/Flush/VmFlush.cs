using System.Diagnostics;
using UmlTlb.Abi;
using UmlTlb.Ops;

namespace UmlTlb;

/// <summary>
/// One flush of a stub's queue, the 2005 do_ops: full data areas run as soon as
/// they are full (streaming), the rest when the flush completes. A flush whose
/// whole content is one host op takes syscall_stub, everything else batch_syscall_stub.
/// By default the first failing host op stops the flush and the ones after it are
/// skipped; with continueOnError every op runs.
/// </summary>
public sealed class VmFlush
{
    private readonly StubProcess _stub;
    private readonly bool _continueOnError;
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private bool _stopped;
    private long _operations, _hostOps, _batches, _singles, _failed, _skipped;
    private long _firstSequence, _lastSequence;

    // Results wait here until the stub's lock is released: a sink runs the rest of a
    // PowerShell pipeline on this thread, which may queue, clear or stop this very stub.
    private readonly List<VmOpResult> _ready = new();
    private bool _collecting;

    internal VmFlush(StubProcess stub, bool continueOnError)
    {
        _stub = stub;
        _continueOnError = continueOnError;
    }

    public StubProcess Stub => _stub;

    /// <summary>True when host op <paramref name="sequence"/> already ran or was skipped in this flush.</summary>
    public bool Covered(long sequence) => _firstSequence != 0 && sequence >= _firstSequence && sequence <= _lastSequence;

    /// <summary>
    /// Runs every data area's worth of host ops that can no longer change: all but
    /// the newest pending op, which may still absorb the next one.
    /// </summary>
    public void RunFullDataAreas(Action<VmOpResult>? sink)
    {
        try
        {
            lock (_stub.SyncRoot)
            {
                _collecting = sink is not null;
                int capacity = _stub.BatchCapacity;
                while (_stub.Queue.Count > capacity && !_stopped)
                {
                    RunBatch(capacity);
                }
                if (_stopped)
                {
                    SkipPending();
                }
            }
        }
        finally
        {
            Deliver(sink);
        }
    }

    /// <summary>Runs what is still pending and returns the flush's totals.</summary>
    public VmFlushSummary Complete(Action<VmOpResult>? sink)
    {
        try
        {
            lock (_stub.SyncRoot)
            {
                _collecting = sink is not null;
                var queue = _stub.Queue;
                if (!_stopped && _batches == 0 && _singles == 0 && queue.Count == 1)
                {
                    RunSingle();
                }
                while (!_stopped && queue.Count > 0)
                {
                    RunBatch(Math.Min(queue.Count, _stub.BatchCapacity));
                }
                SkipPending();
            }
        }
        finally
        {
            Deliver(sink);
        }
        return Summary;
    }

    public VmFlushSummary Summary => new()
    {
        Stub = _stub,
        Operations = _operations,
        HostOperations = _hostOps,
        Batches = _batches,
        SingleCalls = _singles,
        RoundTrips = _batches + _singles,
        Failed = _failed,
        Skipped = _skipped,
        Elapsed = Stopwatch.GetElapsedTime(_startTicks),
    };

    private void RunSingle()
    {
        _stub.ThrowIfNotRunning();
        var op = _stub.Queue.Pending[0];
        Span<ulong> args = stackalloc ulong[6];
        long nr = Encode(op, args);
        long start = Stopwatch.GetTimestamp();
        long result = _stub.RoundTrip.RunSingle(nr, args);
        var counters = _stub.Counters;
        counters.TicksInStub += Stopwatch.GetTimestamp() - start;
        counters.RoundTrips++;
        counters.SingleCalls++;
        _singles++;
        Report(op, result, VmFlushPath.Single, 0);
        _stub.Queue.RemoveFirst(1);
    }

    private void RunBatch(int count)
    {
        _stub.ThrowIfNotRunning();
        var data = _stub.Data;
        var pending = _stub.Queue.Pending;
        Span<ulong> args = stackalloc ulong[6];
        for (int i = 0; i < count; i++)
        {
            long nr = Encode(pending[i], args);
            data.WriteTuple(i, nr, args[0], args[1], args[2], args[3], args[4], args[5]);
        }
        data.Terminate(count);
        data[StubDataLayout.Flags] = _continueOnError ? (ulong)StubDataLayout.FlagContinue : 0;

        long start = Stopwatch.GetTimestamp();
        _stub.RoundTrip.RunBatch();
        var counters = _stub.Counters;
        counters.TicksInStub += Stopwatch.GetTimestamp() - start;
        counters.RoundTrips++;
        long batch = ++counters.Batches;
        _batches++;

        int executed = _stub.ReadExecuted(count);
        counters.BatchedOperations += executed;
        var abi = _stub.Abi;
        for (int i = 0; i < count; i++)
        {
            if (i < executed)
            {
                Report(pending[i], abi.ToResult(data.TupleResult(i)), VmFlushPath.Batch, batch);
            }
            else
            {
                Skip(pending[i]);
            }
        }
        _stub.Queue.RemoveFirst(count);
    }

    private long Encode(in HostOp op, Span<ulong> args) => _stub.Abi.Encode(op, args);

    private void Report(in HostOp op, long result, VmFlushPath path, long batch)
    {
        // Only -4095..-1 are errnos: a high mmap address is a success.
        bool failed = result is >= -4095 and < 0;
        _stub.Shadow.Executed(op, result);
        Count(op);
        if (failed)
        {
            _failed++;
            _stub.Counters.Failed++;
            _stopped |= !_continueOnError;
        }
        if (_collecting)
        {
            _ready.Add(NewResult(op, failed ? VmOpStatus.Failed : VmOpStatus.Succeeded, result, batch, path));
        }
    }

    private void Skip(in HostOp op)
    {
        _stub.Shadow.Skipped();
        Count(op);
        _skipped++;
        if (_collecting)
        {
            _ready.Add(NewResult(op, VmOpStatus.Skipped, 0, 0, VmFlushPath.None));
        }
    }

    private VmOpResult NewResult(in HostOp op, VmOpStatus status, long result, long batch, VmFlushPath path) => new()
    {
        Stub = _stub,
        Sequence = op.Sequence,
        Operation = op.Kind,
        Address = op.Address,
        Length = op.Length,
        Protection = op.Protection,
        Offset = op.Offset,
        MergedCount = op.MergedCount,
        Status = status,
        Result = result,
        Errno = status == VmOpStatus.Failed ? Native.Errno.Name((int)-result) : string.Empty,
        Batch = batch,
        Path = path,
    };

    private void Deliver(Action<VmOpResult>? sink)
    {
        if (sink is null || _ready.Count == 0)
        {
            return;
        }
        var ready = _ready.ToArray();
        _ready.Clear();
        foreach (var result in ready)
        {
            sink(result);
        }
    }

    private void Count(in HostOp op)
    {
        _operations += op.MergedCount;
        _hostOps++;
        if (_firstSequence == 0)
        {
            _firstSequence = op.Sequence;
        }
        _lastSequence = op.Sequence;
    }

    private void SkipPending()
    {
        var queue = _stub.Queue;
        foreach (ref readonly var op in queue.Pending)
        {
            Skip(op);
        }
        queue.RemoveFirst(queue.Count);
    }
}
