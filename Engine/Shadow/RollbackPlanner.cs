using UmlTlb.Ops;

namespace UmlTlb.Shadow;

/// <summary>
/// The inverse of what an atomic flush changed, from its journal and the shadow as the flush
/// left it: re-map what was unmapped or remapped with its old offset and protection, unmap
/// what was newly mapped, give back old protections (the pages a partly applied, failed
/// mprotect changed included). The ranges are disjoint, so their order does not matter.
/// </summary>
internal static class RollbackPlanner
{
    public static List<HostOp> Plan(ShadowJournal journal, AddressSpaceShadow shadow)
    {
        var (before, touched) = journal.Replay();
        var now = new List<MemoryMapping>();
        foreach (var t in touched.All)
        {
            foreach (var r in shadow.Ranges.Overlapping(t.Start, t.End))
            {
                now.Add(AddressSpaceShadow.ToMapping(r, shadow.PhysicalMemoryPath));
            }
        }
        var then = before.All.Select(r => AddressSpaceShadow.ToMapping(r, shadow.PhysicalMemoryPath));

        var ops = new List<HostOp>();
        foreach (var change in MappingDiff.Compare(now, then))
        {
            var op = new HostOp { Address = change.Start, Length = change.Length, MergedCount = 1 };
            switch (change.Change)
            {
                case MappingChangeKind.Unmapped:
                    op.Kind = VmOpKind.Munmap;
                    break;
                case MappingChangeKind.ProtectionChanged:
                    op.Kind = VmOpKind.Mprotect;
                    op.Protection = change.After!.Protection;
                    break;
                default:
                    op.Kind = VmOpKind.Mmap;
                    op.Protection = change.After!.Protection;
                    op.Offset = change.After.Offset;
                    break;
            }
            ops.Add(op);
        }
        return ops;
    }
}
