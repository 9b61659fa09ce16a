namespace UmlTlb.Shadow;

/// <summary>
/// A run of mapped pages in a shadow: [Start, End) shows the physical-memory file from
/// <see cref="Offset"/> on, with <see cref="Protection"/>.
/// </summary>
internal readonly record struct ShadowRange(ulong Start, ulong End, ulong Offset, VmProtection Protection)
{
    public ulong Length => End - Start;

    /// <summary>The part [start, end) of this range, its offset moved along with the start.</summary>
    public ShadowRange Slice(ulong start, ulong end) => new(start, end, Offset + (start - Start), Protection);

    /// <summary>
    /// True when <paramref name="next"/> starts where this one ends and continues it: same
    /// protection, next offset. The kernel merges such neighbours into one VMA, and so does the shadow.
    /// </summary>
    public bool ContinuesInto(in ShadowRange next) =>
        End == next.Start && Protection == next.Protection && Offset + Length == next.Offset;
}
