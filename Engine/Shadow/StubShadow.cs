using UmlTlb.Ops;

namespace UmlTlb.Shadow;

/// <summary>
/// A stub's shadow and the queue's projection of it, and what a flush tells them: a host op
/// ran with this result, a host op was skipped; and the journal of an atomic flush.
/// Used under the stub's lock.
/// </summary>
internal sealed class StubShadow
{
    public StubShadow(string physicalMemoryPath)
    {
        Current = new AddressSpaceShadow(physicalMemoryPath);
        Projection = new QueueProjection(Current);
    }

    public AddressSpaceShadow Current { get; }

    public QueueProjection Projection { get; }

    /// <summary>
    /// While an atomic flush runs: what each host op changes, kept so that the flush can be undone.
    /// Every host op the stub runs meanwhile is recorded, whoever queued it.
    /// </summary>
    public ShadowJournal? Journal { get; set; }

    /// <summary>
    /// For the benchmark's rows with and without the shadow only: while paused the shadow follows
    /// nothing and goes stale, so nothing else may pause it.
    /// </summary>
    internal bool PausedForBenchmark { get; set; }

    /// <summary>Host op <paramref name="op"/> ran and returned <paramref name="result"/>.</summary>
    public void Executed(in HostOp op, long result)
    {
        if (PausedForBenchmark)
        {
            return;
        }
        Current.Record(op.Kind, op.Address, op.Length, op.Protection, op.Offset, result, Journal);
        if (result is >= -4095 and < 0)
        {
            Projection.Invalidate();
        }
    }

    /// <summary>A queued host op will never run: the projection counted on it.</summary>
    public void Skipped() => Projection.Invalidate();
}
