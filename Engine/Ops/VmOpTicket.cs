namespace UmlTlb.Ops;

/// <summary>
/// One owner's ops in one stub: how many are pending, whether a failure stopped them, and
/// the mailbox of outcomes waiting for the owner's flush. Guarded by the stub's lock.
/// </summary>
internal sealed class VmOpTicket
{
    private readonly Queue<VmOpResult> _mailbox = new();

    public VmOpTicket(VmOpOwner owner, StubProcess stub)
    {
        Owner = owner;
        Stub = stub;
    }

    public VmOpOwner Owner { get; }

    public StubProcess Stub { get; }

    /// <summary>Queued ops (before merging) still in the stub's queue.</summary>
    public long PendingOperations;

    /// <summary>A failed op stopped this owner's ops in this stub: the rest are skipped until its flush completes.</summary>
    public bool Stopped;

    /// <summary>What happened to this owner's ops since its flush last took the tallies.</summary>
    public VmOpTally Tally;

    public bool IsIdle => PendingOperations == 0 && _mailbox.Count == 0 && Tally.IsEmpty;

    /// <summary>Records an outcome; keeps the result object only when the owner wants it.</summary>
    public void Post(VmOpResult result, int mergedCount)
    {
        PendingOperations -= mergedCount;
        Tally.Add(result.Status, mergedCount);
        if (Owner.KeepResults || result.Status == VmOpStatus.Failed)
        {
            _mailbox.Enqueue(result);
        }
    }

    /// <summary>Records ops dropped unrun.</summary>
    public void Discard(long operations)
    {
        PendingOperations -= operations;
        Tally.Discarded += operations;
    }

    /// <summary>Moves the waiting results into <paramref name="into"/> and returns the tallies, clearing both.</summary>
    public VmOpTally Take(List<VmOpResult> into)
    {
        while (_mailbox.TryDequeue(out var result))
        {
            if (Owner.KeepResults || result.Status == VmOpStatus.Failed)
            {
                into.Add(result);
            }
        }
        var tally = Tally;
        Tally = default;
        if (_mailbox.Count == 0 && _mailbox.EnsureCapacity(0) > 1024)
        {
            _mailbox.TrimExcess();
        }
        return tally;
    }
}

/// <summary>Counts of outcomes: queued ops (before merging) and host ops.</summary>
internal struct VmOpTally
{
    public long Operations;
    public long HostOperations;
    public long Failed;
    public long Skipped;
    public long Discarded;

    public readonly bool IsEmpty => Operations == 0 && HostOperations == 0 && Discarded == 0;

    public void Add(VmOpStatus status, int mergedCount)
    {
        Operations += mergedCount;
        HostOperations++;
        if (status == VmOpStatus.Failed)
        {
            Failed++;
        }
        else if (status == VmOpStatus.Skipped)
        {
            Skipped++;
        }
    }

    public void Add(in VmOpTally other)
    {
        Operations += other.Operations;
        HostOperations += other.HostOperations;
        Failed += other.Failed;
        Skipped += other.Skipped;
        Discarded += other.Discarded;
    }
}
