namespace UmlTlb;

/// <summary>What one flush did, in totals.</summary>
public sealed class VmFlushSummary
{
    public required StubProcess Stub { get; init; }

    /// <summary>Queued ops the flush covered, before merging.</summary>
    public long Operations { get; init; }

    public long HostOperations { get; init; }

    public long Batches { get; init; }

    public long SingleCalls { get; init; }

    public long RoundTrips { get; init; }

    public long Failed { get; init; }

    public long Skipped { get; init; }

    public TimeSpan Elapsed { get; init; }

    public double OperationsPerSecond => Elapsed > TimeSpan.Zero ? Operations / Elapsed.TotalSeconds : 0;
}
