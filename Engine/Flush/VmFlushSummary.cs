namespace UmlTlb;

/// <summary>What one flush did, in totals.</summary>
public sealed class VmFlushSummary
{
    public required StubProcess Stub { get; init; }

    /// <summary>Queued ops of this flush's owners that it reported, before merging.</summary>
    public long Operations { get; init; }

    public long HostOperations { get; init; }

    public long Batches { get; init; }

    public long SingleCalls { get; init; }

    public long RoundTrips { get; init; }

    public long Failed { get; init; }

    public long Skipped { get; init; }

    /// <summary>Host ops that ran and were undone because an op of their atomic flush failed.</summary>
    public long RolledBack { get; internal set; }

    /// <summary>Queued ops of this flush's owners dropped unrun (Clear-VmOp, Stop-StubProcess, a cancel) before they could run.</summary>
    public long Discarded { get; init; }

    /// <summary>True when the flush was cancelled (Ctrl+C) before it ran everything.</summary>
    public bool Canceled { get; init; }

    public TimeSpan Elapsed { get; init; }

    /// <summary>Queued ops that merged into the host op before them.</summary>
    public long Merged => Operations - HostOperations;

    /// <summary>Round trips the same ops would need without batching or merging: one per op.</summary>
    public long OnePerOpRoundTrips => Operations;

    /// <summary>Host ops run per round trip.</summary>
    public double AverageBatchLength => RoundTrips > 0 ? (double)(HostOperations - Skipped) / RoundTrips : 0;

    /// <summary>The files read, when Invoke-VmFlush read files; null otherwise.</summary>
    public string? Source { get; internal set; }

    /// <summary>Recorded calls of a trace that were not replayed (failed, split, beyond UserAddressLimit).</summary>
    public long LeftOut { get; internal set; }

    /// <summary>Rows of the files that were not ops (each was reported as an error).</summary>
    public long Rejected { get; internal set; }

    /// <summary>True when the flush was stopped before the end of its files.</summary>
    public bool Stopped { get; internal set; }

    public double OperationsPerSecond => Elapsed > TimeSpan.Zero ? Operations / Elapsed.TotalSeconds : 0;
}
