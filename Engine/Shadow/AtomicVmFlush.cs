using UmlTlb.Native;
using UmlTlb.Ops;
using UmlTlb.Shadow;

namespace UmlTlb;

/// <summary>
/// A flush that is all or nothing. It runs as a plain flush (full data areas as they fill, the
/// first failure stopping it) while a journal keeps what each host op changed; its results are
/// held back until it completes. When an op failed, the inverse ops computed from the journal
/// and the shadow put the address space back as it was before the flush, in data areas of
/// their own: the ops that ran before the failure come out RolledBack, the failing one Failed,
/// those after it Skipped. Every host op the stub runs while the flush is open is undone with
/// it, whoever queued it.
/// </summary>
public sealed class AtomicVmFlush
{
    private readonly StubProcess _stub;
    private readonly ShadowJournal _journal = new();
    private readonly List<VmOpResult> _results = new();
    private readonly VmFlush _flush;

    internal AtomicVmFlush(StubProcess stub)
    {
        _stub = stub;
        lock (stub.SyncRoot)
        {
            if (stub.Shadow.Journal is not null)
            {
                throw new InvalidOperationException($"An atomic flush of stub '{stub.Name}' is already open: one at a time per stub.");
            }
            stub.Shadow.Journal = _journal;
        }
        try
        {
            _flush = stub.BeginFlush(continueOnError: false);
        }
        catch
        {
            Detach();
            throw;
        }
    }

    public StubProcess Stub => _stub;

    /// <summary>The plain flush underneath, for what it tells about the host ops it covers.</summary>
    public VmFlush Inner => _flush;

    /// <summary>The inverse host ops run after a failure, with their results; empty when nothing failed.</summary>
    public IReadOnlyList<VmOpResult> Rollback { get; private set; } = [];

    /// <summary>True when a failure was rolled back and every inverse op succeeded.</summary>
    public bool RolledBack { get; private set; }

    /// <summary>Where the results of <see cref="Inner"/> go when it runs full data areas: held back for <see cref="Complete"/>.</summary>
    public Action<VmOpResult> Collect => _results.Add;

    /// <summary>True once <see cref="Complete"/> or <see cref="Abandon"/> ran.</summary>
    public bool IsClosed { get; private set; }

    /// <summary>Runs the data areas that can no longer change; their results wait for <see cref="Complete"/>.</summary>
    public void RunFullDataAreas() => _flush.RunFullDataAreas(_results.Add);

    /// <summary>
    /// Ends a flush that will not complete (its pipeline was stopped): what it ran is undone, as
    /// a failure would, and nothing more runs. Returns the inverse ops' results.
    /// </summary>
    public IReadOnlyList<VmOpResult> Abandon()
    {
        if (IsClosed)
        {
            return Rollback;
        }
        IsClosed = true;
        Detach();
        if (!_journal.IsEmpty)
        {
            Rollback = RunInverse();
            RolledBack = Rollback.All(r => r.Status == VmOpStatus.Succeeded);
        }
        return Rollback;
    }

    /// <summary>
    /// Runs the rest; on a failure rolls everything back. Hands every result, with its final
    /// status, to <paramref name="sink"/>, and returns the totals (RolledBack counts the undone ops).
    /// </summary>
    public VmFlushSummary Complete(Action<VmOpResult>? sink)
    {
        if (IsClosed)
        {
            throw new InvalidOperationException("This atomic flush is already closed.");
        }
        VmFlushSummary summary;
        try
        {
            summary = _flush.Complete(_results.Add);
        }
        finally
        {
            IsClosed = true;
            Detach();
        }
        if (_results.Any(r => r.Status == VmOpStatus.Failed) && !_journal.IsEmpty)
        {
            Rollback = RunInverse();
            RolledBack = Rollback.All(r => r.Status == VmOpStatus.Succeeded);
        }
        if (_results.Any(r => r.Status == VmOpStatus.Failed))
        {
            foreach (var r in _results.Where(r => r.Status == VmOpStatus.Succeeded))
            {
                r.Status = VmOpStatus.RolledBack;
                summary.RolledBack++;
            }
        }
        if (sink is not null)
        {
            foreach (var r in _results)
            {
                sink(r);
            }
        }
        return summary;
    }

    private void Detach()
    {
        lock (_stub.SyncRoot)
        {
            if (ReferenceEquals(_stub.Shadow.Journal, _journal))
            {
                _stub.Shadow.Journal = null;
            }
        }
    }

    /// <summary>Runs the inverse ops, a data area at a time, each going on after a failure, and records them in the shadow.</summary>
    private List<VmOpResult> RunInverse()
    {
        var results = new List<VmOpResult>();
        lock (_stub.SyncRoot)
        {
            var ops = RollbackPlanner.Plan(_journal, _stub.Shadow.Current);
            var args = new ulong[6];
            for (int first = 0; first < ops.Count; first += _stub.BatchCapacity)
            {
                var chunk = ops.Skip(first).Take(_stub.BatchCapacity).ToArray();
                var tuples = chunk.Select(op => (_stub.Abi.Encode(op, args), args.ToArray())).ToArray();
                var (returned, executed) = _stub.RunBatchSyscalls(continueOnError: true, tuples);
                for (int i = 0; i < chunk.Length; i++)
                {
                    var op = chunk[i];
                    bool ran = i < executed;
                    if (ran)
                    {
                        _stub.Shadow.Executed(op, returned[i]);
                    }
                    bool failed = ran && returned[i] is >= -4095 and < 0;
                    results.Add(new VmOpResult
                    {
                        Stub = _stub, Operation = op.Kind, Address = op.Address, Length = op.Length, Protection = op.Protection,
                        Offset = op.Offset, MergedCount = 1, Result = ran ? returned[i] : 0, Path = ran ? VmFlushPath.Batch : VmFlushPath.None,
                        Status = !ran ? VmOpStatus.Skipped : failed ? VmOpStatus.Failed : VmOpStatus.Succeeded,
                        Errno = failed ? Errno.Name((int)-returned[i]) : string.Empty,
                    });
                }
            }
            _stub.Shadow.Projection.Invalidate();
        }
        return results;
    }
}
