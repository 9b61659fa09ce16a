using UmlTlb.Ops;

namespace UmlTlb.Shadow;

/// <summary>
/// A stub's shadow and the queue's projection of it, and the three things a flush tells
/// them: a host op ran with this result, a host op was skipped, the queue was cleared.
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

    /// <summary>Host op <paramref name="op"/> ran and returned <paramref name="result"/>.</summary>
    public void Executed(in HostOp op, long result, ShadowJournal? journal)
    {
        Current.Record(op.Kind, op.Address, op.Length, op.Protection, op.Offset, result, journal);
        if (result is >= -4095 and < 0)
        {
            Projection.Invalidate();
        }
    }

    /// <summary>A queued host op will never run: the projection counted on it.</summary>
    public void Skipped() => Projection.Invalidate();
}
