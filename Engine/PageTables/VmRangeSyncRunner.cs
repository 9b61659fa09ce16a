using System.Diagnostics;
using UmlTlb.PageTables;

namespace UmlTlb;

/// <summary>
/// The walk of fix_range_common over a <see cref="VmPageTable"/>: present and new entries become
/// mmaps, removed ones munmaps, those with a new protection mprotects; the stub's queue merges
/// them as add_mmap, add_munmap and add_mprotect did, full data areas run while the walk goes on,
/// and the rest at its end. Only entries whose host op succeeded are marked clean.
/// </summary>
internal static class VmRangeSyncRunner
{
    private const ulong Page = 4096;

    public static VmRangeSync Run(VmPageTable table, ulong start, ulong end, bool force, bool atomic)
    {
        long startTicks = Stopwatch.GetTimestamp();
        var stub = table.Stub;
        lock (table.SyncRoot)
        {
            ulong firstPage = start >> PageRadix.PageShift, endPage = VmPageTable.PageEnd(end);
            var results = new List<VmOpResult>();
            var mine = new HashSet<long>();
            long entries = 0, operations = 0;
            // An atomic flush holds its results back until it knows whether to roll back.
            var plain = atomic ? null : stub.BeginFlush();
            var all = atomic ? stub.BeginAtomicFlush() : null;
            entries = WalkOps(table, firstPage, endPage, force, (kind, address, protection, offset) =>
            {
                mine.Add(stub.Enqueue(kind, address, Page, protection, offset).HostSequence);
                operations++;
                if (all is not null)
                {
                    all.RunFullDataAreas();
                }
                else
                {
                    plain!.RunFullDataAreas(results.Add);
                }
            });
            if (all is not null)
            {
                all.Complete(results.Add);
            }
            else
            {
                plain!.Complete(results.Add);
            }

            var own = results.Where(r => mine.Contains(r.Sequence)).ToList();
            long cleaned = MarkClean(table, own, firstPage, endPage, force);
            var summary = new VmRangeSyncSummary
            {
                Stub = stub,
                Start = start,
                End = end,
                Entries = entries,
                Operations = operations,
                HostOperations = own.Count,
                SingleCalls = own.Count(r => r.Path == VmFlushPath.Single),
                BatchedOperations = own.Count(r => r.Path == VmFlushPath.Batch),
                Batches = own.Where(r => r.Path == VmFlushPath.Batch).Select(r => r.Batch).Distinct().LongCount(),
                Failed = own.Count(r => r.Status == VmOpStatus.Failed),
                Skipped = own.Count(r => r.Status == VmOpStatus.Skipped),
                RolledBack = own.Count(r => r.Status == VmOpStatus.RolledBack),
                Cleaned = cleaned,
                StillDirty = table.DirtyCount,
                Elapsed = Stopwatch.GetElapsedTime(startTicks),
            };
            return new VmRangeSync { Results = results, Summary = summary, Rollback = all?.Rollback ?? [] };
        }
    }

    /// <summary>A dry run of <see cref="Run"/>: the host ops it would run and the change to the shadow; changes nothing.</summary>
    public static VmFlushPreview Preview(VmPageTable table, ulong start, ulong end, bool force)
    {
        lock (table.SyncRoot)
        {
            var ops = new List<(VmOpKind, ulong, ulong, VmProtection, ulong)>();
            WalkOps(table, start >> PageRadix.PageShift, VmPageTable.PageEnd(end), force,
                (kind, address, protection, offset) => ops.Add((kind, address, Page, protection, offset)));
            return Shadow.FlushPlanner.Plan(table.Stub, ops, continueOnError: false);
        }
    }

    /// <summary>Walks the entries of the range in address order, handing each one's host op to <paramref name="emit"/>; returns how many entries it visited.</summary>
    private static long WalkOps(VmPageTable table, ulong firstPage, ulong endPage, bool force, Action<VmOpKind, ulong, VmProtection, ulong> emit)
    {
        long entries = 0;
        table.Entries.Walk(firstPage, endPage, (ulong page, ref PageEntry e) =>
        {
            entries++;
            if (e.OpFor(force) is { } kind)
            {
                emit(kind, page << PageRadix.PageShift, e.Protection, e.Offset);
            }
        });
        return entries;
    }

    /// <summary>
    /// Marks clean the entries of [firstPage, endPage) that a succeeded host op covered, and that
    /// asked for that kind of op; forgets removed ones. A failed or skipped op leaves its entries dirty.
    /// </summary>
    private static long MarkClean(VmPageTable table, List<VmOpResult> results, ulong firstPage, ulong endPage, bool force)
    {
        long cleaned = 0;
        var forget = new List<ulong>();
        foreach (var r in results.Where(r => r.Status == VmOpStatus.Succeeded))
        {
            ulong from = Math.Max(firstPage, r.Address >> PageRadix.PageShift);
            ulong to = Math.Min(endPage, r.End >> PageRadix.PageShift);
            table.Entries.Walk(from, to, (ulong page, ref PageEntry e) =>
            {
                if (e.OpFor(force) != r.Operation)
                {
                    return;
                }
                var before = e.Change;
                if (!e.Present)
                {
                    forget.Add(page);
                }
                e.Change = PageChange.None;
                table.CountDirty(before, e.Change, false);
                cleaned++;
            });
        }
        foreach (ulong page in forget)
        {
            table.Entries.Remove(page);
        }
        return cleaned;
    }
}
