using System.Diagnostics;
using UmlTlb.Abi;
using UmlTlb.Ops;

namespace UmlTlb;

/// <summary>
/// One flush of a stub's queue, the 2005 do_ops: full data areas run as soon as
/// they are full (streaming), the rest when the flush completes. A flush whose
/// whole content is one host op takes syscall_stub, everything else batch_syscall_stub.
/// The queue runs in order whoever flushes it, but each outcome goes to the owner of its
/// op (<see cref="VmOpOwner"/>); a flush delivers only the outcomes of the owners it
/// serves (<see cref="Adopt"/>). A failed op stops the later ops of its owner only
/// (unless the owner continues on error): they are skipped, other owners' ops still run.
/// </summary>
public sealed class VmFlush
{
    private readonly StubProcess _stub;
    private readonly bool _continueOnError;
    private readonly bool _keepResults;
    private readonly long _startTicks = Stopwatch.GetTimestamp();
    private readonly List<VmOpOwner> _owners = new();
    private readonly List<VmOpResult> _ready = new();
    private VmOpTally _tally;
    private long _batches, _singles;
    private volatile bool _cancelRequested;
    private bool[] _remove = [];
    private int[] _slots = [];

    internal VmFlush(StubProcess stub, bool continueOnError, bool keepResults)
    {
        _stub = stub;
        _continueOnError = continueOnError;
        _keepResults = keepResults;
    }

    public StubProcess Stub => _stub;

    /// <summary>The owners whose outcomes this flush delivers.</summary>
    public IReadOnlyList<VmOpOwner> Owners => _owners;

    /// <summary>True once <see cref="Cancel"/> was called: no further data area runs.</summary>
    public bool Canceled => _cancelRequested;

    /// <summary>
    /// Serves <paramref name="owner"/> too: its outcomes in this stub, including those
    /// another flush ran before, are delivered here, and it follows this flush's settings.
    /// </summary>
    public void Adopt(VmOpOwner owner)
    {
        if (_owners.Contains(owner))
        {
            return;
        }
        owner.ContinueOnError = _continueOnError;
        owner.KeepResults = _keepResults;
        _owners.Add(owner);
    }

    /// <summary>Asks the flush, from any thread, to run no further data area; the ops left stay queued.</summary>
    public void Cancel() => _cancelRequested = true;

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
                int capacity = _stub.BatchCapacity;
                while (!_cancelRequested && _stub.Queue.Count > capacity)
                {
                    RunBatch(_stub.Queue.Count - 1);
                }
            }
        }
        finally
        {
            Deliver(sink);
        }
    }

    /// <summary>
    /// Runs what is pending, one data area at a time, delivering after each (so results
    /// stream and a stop is noticed between data areas), and returns the flush's totals.
    /// </summary>
    public VmFlushSummary Complete(Action<VmOpResult>? sink)
    {
        long last;
        lock (_stub.SyncRoot)
        {
            // What others queue from now on is theirs to flush: a stream of another pipeline's ops
            // must not keep this flush running.
            var pending = _stub.Queue.Pending;
            last = pending.Length > 0 ? pending[^1].Sequence : 0;
        }
        bool more = true;
        while (more)
        {
            try
            {
                lock (_stub.SyncRoot)
                {
                    var queue = _stub.Queue;
                    int window = CountUpTo(queue.Pending, last);
                    if (_cancelRequested || window == 0)
                    {
                        more = false;
                    }
                    else if (_batches == 0 && _singles == 0 && queue.Count == 1 && !queue.Pending[0].Ticket.Stopped)
                    {
                        RunSingle();
                    }
                    else
                    {
                        RunBatch(window);
                    }
                    if (!more && !_cancelRequested)
                    {
                        // The flush is over: its owners start the next one unstopped.
                        foreach (var owner in _owners)
                        {
                            if (owner.FindTicket(_stub) is { } ticket)
                            {
                                ticket.Stopped = false;
                            }
                        }
                    }
                }
            }
            finally
            {
                Deliver(sink);
            }
        }
        return Summary;
    }

    /// <summary>How many of the oldest pending host ops have a sequence up to <paramref name="last"/> (the queue is in sequence order).</summary>
    private static int CountUpTo(ReadOnlySpan<HostOp> pending, long last)
    {
        int lo = 0, hi = pending.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (pending[mid].Sequence <= last)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    public VmFlushSummary Summary => new()
    {
        Stub = _stub,
        Operations = _tally.Operations,
        HostOperations = _tally.HostOperations,
        Batches = _batches,
        SingleCalls = _singles,
        RoundTrips = _batches + _singles,
        Failed = _tally.Failed,
        Skipped = _tally.Skipped,
        Discarded = _tally.Discarded,
        Canceled = _cancelRequested,
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
        _stub.Queue.RemoveMarked([true]);
    }

    /// <summary>
    /// Runs up to a data area's worth of the oldest <paramref name="window"/> host ops. Ops of a
    /// stopped owner are skipped, not run; ops after a failure that stopped the batch stay
    /// queued unless their owner is now stopped too.
    /// </summary>
    private void RunBatch(int window)
    {
        _stub.ThrowIfNotRunning();
        var data = _stub.Data;
        var pending = _stub.Queue.Pending;
        int capacity = _stub.BatchCapacity;
        // Look at no more than a few data areas' worth: a long run of a stopped owner's ops is
        // skipped over several calls rather than scanned (and marked) all at once.
        window = Math.Min(window, 4 * capacity);
        if (_remove.Length < window)
        {
            _remove = new bool[window];
            _slots = new int[capacity];
        }
        var remove = _remove.AsSpan(0, window);
        remove.Clear();
        var slots = _slots.AsSpan();
        Span<ulong> args = stackalloc ulong[6];
        int count = 0, scanned = 0;
        bool allContinue = true;
        for (; scanned < window && count < capacity; scanned++)
        {
            ref readonly var op = ref pending[scanned];
            if (op.Ticket.Stopped)
            {
                Skip(op);
                remove[scanned] = true;
                continue;
            }
            long nr = Encode(op, args);
            data.WriteTuple(count, nr, args[0], args[1], args[2], args[3], args[4], args[5]);
            allContinue &= op.Ticket.Owner.ContinueOnError;
            slots[count++] = scanned;
        }
        if (count > 0)
        {
            RunTuples(pending, slots[..count], remove, allContinue);
        }
        _stub.Queue.RemoveMarked(remove[..scanned]);
    }

    private void RunTuples(ReadOnlySpan<HostOp> pending, ReadOnlySpan<int> slots, Span<bool> remove, bool allContinue)
    {
        var data = _stub.Data;
        int count = slots.Length;
        data.Terminate(count);
        data[StubDataLayout.Flags] = allContinue ? (ulong)StubDataLayout.FlagContinue : 0;

        long start = Stopwatch.GetTimestamp();
        _stub.RoundTrip.RunBatch();
        var counters = _stub.Counters;
        counters.TicksInStub += Stopwatch.GetTimestamp() - start;
        counters.RoundTrips++;
        long batch = ++counters.Batches;
        _batches++;

        // What the stub writes back is untrusted: a count beyond the batch faults the stub.
        int executed = _stub.ReadExecuted(count);
        counters.BatchedOperations += executed;
        var abi = _stub.Abi;
        bool stoppedByFailure = false;
        for (int i = 0; i < executed; i++)
        {
            ref readonly var op = ref pending[slots[i]];
            stoppedByFailure = Report(op, abi.ToResult(data.TupleResult(i)), VmFlushPath.Batch, batch);
            remove[slots[i]] = true;
        }
        for (int i = executed; i < count; i++)
        {
            // The stub stopped at a failure: what follows runs in the next batch, unless its owner
            // is stopped now. An early end no failure explains is not retried: those are skipped.
            ref readonly var op = ref pending[slots[i]];
            if (op.Ticket.Stopped || !stoppedByFailure)
            {
                Skip(op);
                remove[slots[i]] = true;
            }
        }
    }

    private long Encode(in HostOp op, Span<ulong> args) => _stub.Abi.Encode(op, args);

    /// <summary>Posts a ran op's outcome to its owner; true when it failed.</summary>
    private bool Report(in HostOp op, long result, VmFlushPath path, long batch)
    {
        // Only -4095..-1 are errnos: a high mmap address is a success.
        bool failed = result is >= -4095 and < 0;
        _stub.Shadow.Executed(op, result);
        if (failed)
        {
            _stub.Counters.Failed++;
            op.Ticket.Stopped |= !op.Ticket.Owner.ContinueOnError;
        }
        op.Ticket.Post(NewResult(op, failed ? VmOpStatus.Failed : VmOpStatus.Succeeded, result, batch, path), op.MergedCount);
        return failed;
    }

    private void Skip(in HostOp op)
    {
        _stub.Shadow.Skipped();
        op.Ticket.Post(NewResult(op, VmOpStatus.Skipped, 0, 0, VmFlushPath.None), op.MergedCount);
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

    /// <summary>
    /// Hands the outcomes waiting for this flush's owners to <paramref name="sink"/>, oldest first,
    /// after the stub's lock is released: a sink runs the rest of a PowerShell pipeline on this
    /// thread, which may queue, clear or stop this very stub.
    /// </summary>
    private void Deliver(Action<VmOpResult>? sink)
    {
        lock (_stub.SyncRoot)
        {
            foreach (var owner in _owners)
            {
                if (owner.FindTicket(_stub) is { } ticket)
                {
                    _tally.Add(ticket.Take(_ready));
                }
            }
        }
        if (_ready.Count == 0)
        {
            return;
        }
        var ready = _ready.ToArray();
        _ready.Clear();
        if (_owners.Count > 1)
        {
            Array.Sort(ready, static (a, b) => a.Sequence.CompareTo(b.Sequence));
        }
        if (sink is null)
        {
            return;
        }
        int delivered = 0;
        try
        {
            foreach (var result in ready)
            {
                sink(result);
                delivered++;
            }
        }
        finally
        {
            // A sink that throws (the pipeline stopped) leaves the rest unwritten: count them.
            Undelivered += ready.Length - Math.Min(ready.Length, delivered + 1);
        }
    }

    /// <summary>Results of ops that ran but were never handed to the sink because it threw (the pipeline ended).</summary>
    public long Undelivered { get; private set; }
}
