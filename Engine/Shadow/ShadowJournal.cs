namespace UmlTlb.Shadow;

/// <summary>
/// What the shadow held in each range an atomic flush changed, before the change, in the
/// order the changes happened. The first record of an address holds its state before the
/// flush: from that the flush's inverse ops are computed.
/// </summary>
internal sealed class ShadowJournal
{
    private readonly List<Record> _records = new();

    public bool IsEmpty => _records.Count == 0;

    /// <summary>Keeps what [start, end) holds now, before a host op changes it.</summary>
    public void Capture(RangeMap ranges, ulong start, ulong end)
    {
        var before = new List<ShadowRange>();
        ranges.CopyOverlapping(start, end, before);
        _records.Add(new Record(start, end, before));
    }

    /// <summary>
    /// The shadow's state before the flush, over the ranges the flush touched: a map of what was
    /// mapped there, and a map of the touched ranges themselves (their offsets mean nothing).
    /// </summary>
    public (RangeMap Before, RangeMap Touched) Replay()
    {
        var before = new RangeMap();
        var touched = new RangeMap();
        // Newest first, so that an address's oldest record, its state before the flush, is written last.
        for (int i = _records.Count - 1; i >= 0; i--)
        {
            var record = _records[i];
            before.Unmap(record.Start, record.End);
            foreach (var r in record.Before)
            {
                before.Map(r.Start, r.End, r.Offset, r.Protection);
            }
            touched.Map(record.Start, record.End, record.Start, VmProtection.None);
        }
        return (before, touched);
    }

    public void Clear() => _records.Clear();

    private sealed record Record(ulong Start, ulong End, List<ShadowRange> Before);
}
