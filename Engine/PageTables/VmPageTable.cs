using UmlTlb.Ops;
using UmlTlb.PageTables;

namespace UmlTlb;

/// <summary>
/// A guest-side page table for one stub: a sparse map of virtual page to physical-memory offset
/// and protection, with the seed's dirty state per entry (<see cref="PageChange"/>). Edits only
/// mark entries; <see cref="Sync"/> (fix_range_common) turns the dirty ones into host ops.
/// Safe from any thread: edits and syncs of one table take turns.
/// </summary>
public sealed class VmPageTable
{
    private const ulong Page = 4096;

    private readonly PageRadix _entries = new();
    private long _dirty;

    public VmPageTable(StubProcess stub) => Stub = stub ?? throw new ArgumentNullException(nameof(stub));

    public StubProcess Stub { get; }

    /// <summary>Entries held, removed ones not yet synced included.</summary>
    public long Count
    {
        get
        {
            lock (SyncRoot)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Entries the next sync turns into host ops.</summary>
    public long DirtyCount
    {
        get
        {
            lock (SyncRoot)
            {
                return _dirty;
            }
        }
    }

    internal object SyncRoot { get; } = new();

    internal PageRadix Entries => _entries;

    /// <summary>Points [address, address + length) at the file from <paramref name="offset"/> with <paramref name="protection"/>.</summary>
    public void Map(ulong address, ulong length, ulong offset, VmProtection protection)
    {
        Check(VmOpKind.Mmap, address, length, protection, offset);
        lock (SyncRoot)
        {
            for (ulong i = 0; i < length; i += Page)
            {
                ref var e = ref _entries.GetOrAdd((address + i) >> PageRadix.PageShift, out bool added);
                var before = e.Change;
                if (added || !e.Present || e.Offset != offset + i)
                {
                    e = new PageEntry { Offset = offset + i, Protection = protection, Change = PageChange.NewPage };
                }
                else if (e.Protection != protection)
                {
                    e.Protection = protection;
                    e.Change |= PageChange.NewProtection;
                }
                CountDirty(before, e.Change, added);
            }
        }
    }

    /// <summary>Gives the present pages of [address, address + length) <paramref name="protection"/>; returns how many changed.</summary>
    public long Protect(ulong address, ulong length, VmProtection protection)
    {
        Check(VmOpKind.Mprotect, address, length, protection, 0);
        long changed = 0;
        lock (SyncRoot)
        {
            _entries.Walk(address >> PageRadix.PageShift, (address + length) >> PageRadix.PageShift, (ulong _, ref PageEntry e) =>
            {
                if (e.Present && e.Protection != protection)
                {
                    var before = e.Change;
                    e.Protection = protection;
                    e.Change |= PageChange.NewProtection;
                    CountDirty(before, e.Change, false);
                    changed++;
                }
            });
        }
        return changed;
    }

    /// <summary>Takes the present pages of [address, address + length) away; returns how many. Pages the table does not hold stay as they are.</summary>
    public long Unmap(ulong address, ulong length)
    {
        Check(VmOpKind.Munmap, address, length, VmProtection.None, 0);
        long removed = 0;
        lock (SyncRoot)
        {
            _entries.Walk(address >> PageRadix.PageShift, (address + length) >> PageRadix.PageShift, (ulong _, ref PageEntry e) =>
            {
                if (e.Present)
                {
                    var before = e.Change;
                    e.Change = PageChange.Removed;
                    CountDirty(before, e.Change, false);
                    removed++;
                }
            });
        }
        return removed;
    }

    /// <summary>The entries of [start, end), in address order.</summary>
    public IReadOnlyList<VmPage> GetPages(ulong start = 0, ulong end = ulong.MaxValue)
    {
        var pages = new List<VmPage>();
        lock (SyncRoot)
        {
            _entries.Walk(start >> PageRadix.PageShift, PageEnd(end), (ulong page, ref PageEntry e) =>
                pages.Add(new VmPage { Address = page << PageRadix.PageShift, Offset = e.Offset, Protection = e.Protection, Change = e.Change }));
        }
        return pages;
    }

    /// <summary>
    /// fix_range_common: walks the entries of [start, end) (only those present in the table),
    /// queues a host op for each dirty one (every one with <paramref name="force"/>) with the
    /// seed's merging, flushes them through the stub, and marks clean what succeeded.
    /// With <paramref name="atomic"/>, a failure undoes the whole sync (see <see cref="AtomicVmFlush"/>) and every entry stays dirty.
    /// </summary>
    public VmRangeSync Sync(ulong start = 0, ulong end = ulong.MaxValue, bool force = false, bool atomic = false) =>
        VmRangeSyncRunner.Run(this, start, end, force, atomic);

    /// <summary>A dry run of <see cref="Sync"/>: the host ops and the change to the stub's shadow; runs and changes nothing.</summary>
    public VmFlushPreview PreviewSync(ulong start = 0, ulong end = ulong.MaxValue, bool force = false) =>
        VmRangeSyncRunner.Preview(this, start, end, force);

    /// <summary>The pages [start, end) stands for; end rounded up to a page, capped at what the tree indexes.</summary>
    internal static ulong PageEnd(ulong end) =>
        end >= PageRadix.PageLimit << PageRadix.PageShift ? PageRadix.PageLimit : (end + Page - 1) >> PageRadix.PageShift;

    internal void CountDirty(PageChange before, PageChange after, bool added)
    {
        bool was = !added && before != PageChange.None;
        bool now = after != PageChange.None;
        _dirty += (now ? 1 : 0) - (was ? 1 : 0);
    }

    private void Check(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset)
    {
        if (VmOpValidator.Check(Stub, kind, address, length, protection, offset) is { } rejection)
        {
            throw new VmOpRejectedException(rejection);
        }
    }

    public override string ToString() => $"page table of {Stub.Name}: {Count} entries, {DirtyCount} dirty";
}
