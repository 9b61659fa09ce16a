namespace UmlTlb;

/// <summary>What one Sync-VmRange did: the results of its host ops, and its totals.</summary>
public sealed class VmRangeSync
{
    public required IReadOnlyList<VmOpResult> Results { get; init; }

    public required VmRangeSyncSummary Summary { get; init; }

    /// <summary>An atomic sync that failed: the inverse host ops that undid it, with their results.</summary>
    public IReadOnlyList<VmOpResult> Rollback { get; init; } = [];
}

/// <summary>
/// A sync's totals, with what the seed's commit message measured: how many host ops went out
/// as single calls and how many in batches, and the batches' average length.
/// </summary>
public sealed class VmRangeSyncSummary
{
    public required StubProcess Stub { get; init; }

    public ulong Start { get; init; }

    public ulong End { get; init; }

    /// <summary>Entries of the range the walk visited (present and removed ones; never the range's empty pages).</summary>
    public long Entries { get; init; }

    /// <summary>Page ops the walk queued: one per dirty entry (per entry with -Force).</summary>
    public long Operations { get; init; }

    /// <summary>Host ops those became after merging.</summary>
    public long HostOperations { get; init; }

    /// <summary>Host ops run through syscall_stub (single_count).</summary>
    public long SingleCalls { get; init; }

    /// <summary>Runs of batch_syscall_stub (multi_count).</summary>
    public long Batches { get; init; }

    /// <summary>Host ops run in batches (multi_op_count).</summary>
    public long BatchedOperations { get; init; }

    public double AverageBatchLength => Batches > 0 ? (double)BatchedOperations / Batches : 0;

    public long Failed { get; init; }

    public long Skipped { get; init; }

    /// <summary>Host ops undone because an op of the atomic sync failed (their entries stay dirty).</summary>
    public long RolledBack { get; init; }

    /// <summary>Entries whose host op succeeded: clean now (removed ones forgotten).</summary>
    public long Cleaned { get; init; }

    /// <summary>Entries still dirty in the whole table afterwards.</summary>
    public long StillDirty { get; init; }

    public TimeSpan Elapsed { get; init; }
}
