namespace UmlTlb.Shadow;

/// <summary>
/// Compares two lists of mappings page range by page range. How the kernel splits or merges
/// VMAs does not count: only which pages show what, with which protection. Neighbouring ranges
/// that differ the same way come out as one <see cref="MappingChange"/>.
/// </summary>
public static class MappingDiff
{
    public static List<MappingChange> Compare(IEnumerable<MemoryMapping> before, IEnumerable<MemoryMapping> after)
    {
        var b = Normalise(before);
        var a = Normalise(after);
        var bounds = new SortedSet<ulong>();
        foreach (var m in b.Concat(a))
        {
            bounds.Add(m.Start);
            bounds.Add(m.End);
        }

        var changes = new List<MappingChange>();
        int ib = 0, ia = 0;
        ulong? previous = null;
        foreach (ulong x in bounds)
        {
            if (previous is not { } start)
            {
                previous = x;
                continue;
            }
            previous = x;
            while (ib < b.Count && b[ib].End <= start)
            {
                ib++;
            }
            while (ia < a.Count && a[ia].End <= start)
            {
                ia++;
            }
            var was = ib < b.Count && b[ib].Start <= start ? Clip(b[ib], start, x) : null;
            var now = ia < a.Count && a[ia].Start <= start ? Clip(a[ia], start, x) : null;
            if (Classify(was, now) is not { } kind)
            {
                continue;
            }
            if (changes.Count > 0 && changes[^1] is var last && last.End == start && last.Change == kind
                && Continues(last.Before, was) && Continues(last.After, now))
            {
                changes[^1] = new MappingChange
                {
                    Start = last.Start, End = x, Change = kind,
                    Before = Extend(last.Before, x), After = Extend(last.After, x),
                };
            }
            else
            {
                changes.Add(new MappingChange { Start = start, End = x, Change = kind, Before = was, After = now });
            }
        }
        return changes;
    }

    /// <summary>How many changes of each kind, and how many bytes they cover.</summary>
    public static (int Count, ulong Bytes) Total(IEnumerable<MappingChange> changes, MappingChangeKind kind)
    {
        int count = 0;
        ulong bytes = 0;
        foreach (var c in changes.Where(c => c.Change == kind))
        {
            count++;
            bytes += c.Length;
        }
        return (count, bytes);
    }

    private static MappingChangeKind? Classify(MemoryMapping? was, MemoryMapping? now) => (was, now) switch
    {
        (null, null) => null,
        (null, _) => MappingChangeKind.Mapped,
        (_, null) => MappingChangeKind.Unmapped,
        _ when !SameFilePages(was, now) => MappingChangeKind.Remapped,
        _ when was.Protection != now.Protection => MappingChangeKind.ProtectionChanged,
        _ => null,
    };

    private static bool SameFilePages(MemoryMapping x, MemoryMapping y) =>
        x.Path == y.Path && x.Shared == y.Shared && x.Offset == y.Offset;

    /// <summary>True when <paramref name="next"/> goes on where <paramref name="m"/> ends, as one VMA would.</summary>
    private static bool Continues(MemoryMapping? m, MemoryMapping? next) =>
        m is null ? next is null
        : next is not null && m.End == next.Start && m.Protection == next.Protection && m.Path == next.Path
            && m.Shared == next.Shared && m.Offset + m.Length == next.Offset;

    private static MemoryMapping? Extend(MemoryMapping? m, ulong end) => m is null ? null : Clip(m, m.Start, end);

    private static MemoryMapping Clip(MemoryMapping m, ulong start, ulong end) => new()
    {
        Start = start,
        End = end,
        Protection = m.Protection,
        Shared = m.Shared,
        Offset = m.Offset + (start - m.Start),
        Path = m.Path,
    };

    /// <summary>Sorted, with neighbours that continue each other merged (the kernel may or may not have merged them).</summary>
    private static List<MemoryMapping> Normalise(IEnumerable<MemoryMapping> mappings)
    {
        var list = new List<MemoryMapping>();
        foreach (var m in mappings.Where(m => m.End > m.Start).OrderBy(m => m.Start))
        {
            if (list.Count > 0 && list[^1].End > m.Start)
            {
                throw new ArgumentException($"Mappings overlap: {list[^1]} and {m}.", nameof(mappings));
            }
            if (list.Count > 0 && Continues(list[^1], m))
            {
                list[^1] = Clip(list[^1], list[^1].Start, m.End);
            }
            else
            {
                list.Add(m);
            }
        }
        return list;
    }
}
