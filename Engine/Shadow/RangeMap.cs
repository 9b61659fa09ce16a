using System.Runtime.InteropServices;

namespace UmlTlb.Shadow;

/// <summary>
/// Sorted, non-overlapping <see cref="ShadowRange"/>s, neighbours that continue each other
/// merged, kept in chunks of at most 64 entries. Finding an address is two binary searches;
/// changing a range moves the entries of one chunk, however many the map holds. Cost follows
/// the number of ranges, never the bytes they span: a stub may map terabytes sparsely.
/// Not thread-safe: its owner serialises access.
/// </summary>
internal sealed class RangeMap
{
    private const int ChunkCapacity = 64;

    private readonly List<Chunk> _chunks = new();

    // Scratch lists of Rewrite, reused so that recording a host op allocates nothing.
    private readonly List<ShadowRange> _window = new();
    private readonly List<ShadowRange> _replacement = new();

    private enum Edit
    {
        Map,
        Unmap,
        Protect,
    }

    /// <summary>Number of ranges.</summary>
    public int Count { get; private set; }

    public IEnumerable<ShadowRange> All
    {
        get
        {
            foreach (var chunk in _chunks)
            {
                for (int i = 0; i < chunk.Count; i++)
                {
                    yield return chunk.Items[i];
                }
            }
        }
    }

    /// <summary>The ranges that overlap [start, end), cut to it.</summary>
    public IEnumerable<ShadowRange> Overlapping(ulong start, ulong end)
    {
        var p = Seek(start);
        while (TryGet(p, out var r) && r.Start < end)
        {
            yield return r.Slice(Math.Max(r.Start, start), Math.Min(r.End, end));
            p = Next(p);
        }
    }

    /// <summary>The ranges that overlap [start, end), cut to it, into <paramref name="into"/> (cleared first).</summary>
    public void CopyOverlapping(ulong start, ulong end, List<ShadowRange> into)
    {
        into.Clear();
        var p = Seek(start);
        while (TryGet(p, out var r) && r.Start < end)
        {
            into.Add(r.Slice(Math.Max(r.Start, start), Math.Min(r.End, end)));
            p = Next(p);
        }
    }

    /// <summary>The first unmapped address in [start, end), or null when all of it is mapped.</summary>
    public ulong? FirstHole(ulong start, ulong end)
    {
        ulong cursor = start;
        var p = Seek(start);
        while (cursor < end)
        {
            if (!TryGet(p, out var r) || r.Start > cursor)
            {
                return cursor;
            }
            cursor = r.End;
            p = Next(p);
        }
        return null;
    }

    /// <summary>True when some page of [start, end) is mapped.</summary>
    public bool AnyMapped(ulong start, ulong end) => TryGet(Seek(start), out var r) && r.Start < end;

    /// <summary>[start, end) now shows the file from <paramref name="offset"/>, whatever was there before.</summary>
    public void Map(ulong start, ulong end, ulong offset, VmProtection protection) => Rewrite(start, end, Edit.Map, offset, protection);

    public void Unmap(ulong start, ulong end) => Rewrite(start, end, Edit.Unmap, 0, VmProtection.None);

    /// <summary>The mapped pages of [start, end) get <paramref name="protection"/>; holes stay holes.</summary>
    public void Protect(ulong start, ulong end, VmProtection protection) => Rewrite(start, end, Edit.Protect, 0, protection);

    public void Clear()
    {
        _chunks.Clear();
        Count = 0;
    }

    public RangeMap Clone()
    {
        var copy = new RangeMap();
        foreach (var chunk in _chunks)
        {
            var c = new Chunk { Count = chunk.Count };
            chunk.Items.AsSpan(0, chunk.Count).CopyTo(c.Items);
            copy._chunks.Add(c);
        }
        copy.Count = Count;
        return copy;
    }

    /// <summary>
    /// Replaces the ranges [start, end) touches, and the neighbours that end at start or begin
    /// at end (so that what continues them merges), by what they become.
    /// </summary>
    private void Rewrite(ulong start, ulong end, Edit edit, ulong offset, VmProtection protection)
    {
        var first = Seek(start == 0 ? 0 : start - 1);
        if (TryQuickEdit(first, start, end, edit, offset, protection))
        {
            return;
        }
        _window.Clear();
        bool overlaps = false;
        for (var p = first; TryGet(p, out var r) && r.Start <= end; p = Next(p))
        {
            _window.Add(r);
            overlaps |= r.Start < end && r.End > start;
        }
        if (!overlaps && edit != Edit.Map)
        {
            return;
        }

        _replacement.Clear();
        var added = new ShadowRange(start, end, offset, protection);
        bool placed = edit != Edit.Map;
        foreach (var r in _window)
        {
            if (r.End <= start || r.Start >= end)
            {
                if (!placed && r.Start >= end)
                {
                    _replacement.Add(added);
                    placed = true;
                }
                _replacement.Add(r);
                continue;
            }
            if (r.Start < start)
            {
                _replacement.Add(r.Slice(r.Start, start));
            }
            if (edit == Edit.Protect)
            {
                _replacement.Add(r.Slice(Math.Max(r.Start, start), Math.Min(r.End, end)) with { Protection = protection });
            }
            else if (!placed)
            {
                _replacement.Add(added);
                placed = true;
            }
            if (r.End > end)
            {
                _replacement.Add(r.Slice(end, r.End));
            }
        }
        if (!placed)
        {
            _replacement.Add(added);
        }
        Coalesce(_replacement);
        Splice(first, _window.Count, CollectionsMarshal.AsSpan(_replacement));
    }

    /// <summary>
    /// The common cases without building a window: a map into a gap that touches no range, and an
    /// unmap or protect of exactly one whole range whose neighbours do not merge with the result.
    /// </summary>
    private bool TryQuickEdit(Position first, ulong start, ulong end, Edit edit, ulong offset, VmProtection protection)
    {
        bool any = TryGet(first, out var r);
        if (edit == Edit.Map)
        {
            // first is the first range ending at or after start: none, or one beyond end, leaves a gap with no neighbour.
            if (any && r.Start <= end)
            {
                return false;
            }
            InsertAt(first, [new ShadowRange(start, end, offset, protection)]);
            Count++;
            return true;
        }
        var at = first;
        bool hasPrevious = false;
        ShadowRange previous = default;
        if (any && r.End == start)
        {
            hasPrevious = true;
            previous = r;
            at = Next(first);
            any = TryGet(at, out r);
        }
        if (!any || r.Start != start || r.End != end)
        {
            return false;
        }
        if (edit == Edit.Unmap)
        {
            RemoveAt(at, 1);
            Count--;
            return true;
        }
        var changed = r with { Protection = protection };
        var after = Next(at);
        if ((hasPrevious && previous.ContinuesInto(changed)) || (TryGet(after, out var next) && changed.ContinuesInto(next)))
        {
            return false;
        }
        _chunks[at.Chunk].Items[at.Index] = changed;
        return true;
    }

    private static void Coalesce(List<ShadowRange> list)
    {
        int kept = 0;
        for (int i = 0; i < list.Count; i++)
        {
            if (kept > 0 && list[kept - 1].ContinuesInto(list[i]))
            {
                list[kept - 1] = list[kept - 1] with { End = list[i].End };
            }
            else
            {
                list[kept++] = list[i];
            }
        }
        list.RemoveRange(kept, list.Count - kept);
    }

    /// <summary>Replaces <paramref name="remove"/> ranges from <paramref name="at"/> on by <paramref name="insert"/>.</summary>
    private void Splice(Position at, int remove, ReadOnlySpan<ShadowRange> insert)
    {
        int overwrite = Math.Min(remove, insert.Length);
        var p = at;
        for (int k = 0; k < overwrite; k++)
        {
            _chunks[p.Chunk].Items[p.Index] = insert[k];
            p = Next(p);
        }
        if (insert.Length > overwrite)
        {
            InsertAt(p, insert[overwrite..]);
        }
        else if (remove > overwrite)
        {
            RemoveAt(p, remove - overwrite);
        }
        Count += insert.Length - remove;
    }

    private void InsertAt(Position p, ReadOnlySpan<ShadowRange> items)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add(new Chunk());
            p = new Position(0, 0);
        }
        else if (p.Chunk == _chunks.Count)
        {
            p = new Position(_chunks.Count - 1, _chunks[^1].Count);
        }
        var chunk = _chunks[p.Chunk];
        if (chunk.Count + items.Length <= ChunkCapacity)
        {
            Array.Copy(chunk.Items, p.Index, chunk.Items, p.Index + items.Length, chunk.Count - p.Index);
            items.CopyTo(chunk.Items.AsSpan(p.Index));
            chunk.Count += items.Length;
            return;
        }
        // Too many for one chunk: spread its entries and the new ones over half-full chunks,
        // so that the next inserts nearby fit without splitting again.
        var all = new ShadowRange[chunk.Count + items.Length];
        chunk.Items.AsSpan(0, p.Index).CopyTo(all);
        items.CopyTo(all.AsSpan(p.Index));
        chunk.Items.AsSpan(p.Index, chunk.Count - p.Index).CopyTo(all.AsSpan(p.Index + items.Length));
        var pieces = new List<Chunk>();
        for (int i = 0; i < all.Length; i += ChunkCapacity / 2)
        {
            var piece = new Chunk { Count = Math.Min(ChunkCapacity / 2, all.Length - i) };
            all.AsSpan(i, piece.Count).CopyTo(piece.Items);
            pieces.Add(piece);
        }
        _chunks.RemoveAt(p.Chunk);
        _chunks.InsertRange(p.Chunk, pieces);
    }

    private void RemoveAt(Position p, int count)
    {
        while (count > 0)
        {
            var chunk = _chunks[p.Chunk];
            int n = Math.Min(count, chunk.Count - p.Index);
            Array.Copy(chunk.Items, p.Index + n, chunk.Items, p.Index, chunk.Count - p.Index - n);
            chunk.Count -= n;
            count -= n;
            if (chunk.Count == 0)
            {
                // No empty chunks: Seek reads every chunk's last entry.
                _chunks.RemoveAt(p.Chunk);
            }
            else
            {
                p = new Position(p.Chunk + 1, 0);
            }
        }
    }

    /// <summary>Where the first range with End above <paramref name="address"/> is, or the end of the map.</summary>
    private Position Seek(ulong address)
    {
        int lo = 0, hi = _chunks.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_chunks[mid].LastEnd > address)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }
        if (lo == _chunks.Count)
        {
            return new Position(lo, 0);
        }
        var items = _chunks[lo].Items;
        int l = 0, h = _chunks[lo].Count - 1;
        while (l < h)
        {
            int m = (l + h) >>> 1;
            if (items[m].End > address)
            {
                h = m;
            }
            else
            {
                l = m + 1;
            }
        }
        return new Position(lo, l);
    }

    private bool TryGet(Position p, out ShadowRange range)
    {
        if (p.Chunk < _chunks.Count)
        {
            range = _chunks[p.Chunk].Items[p.Index];
            return true;
        }
        range = default;
        return false;
    }

    private Position Next(Position p) =>
        p.Index + 1 < _chunks[p.Chunk].Count ? new Position(p.Chunk, p.Index + 1) : new Position(p.Chunk + 1, 0);

    private readonly record struct Position(int Chunk, int Index);

    private sealed class Chunk
    {
        public readonly ShadowRange[] Items = new ShadowRange[ChunkCapacity];
        public int Count;

        public ulong LastEnd => Items[Count - 1].End;
    }
}
