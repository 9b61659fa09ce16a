using UmlTlb.Native;
using UmlTlb.Ops;

namespace UmlTlb.Shadow;

/// <summary>
/// Computes a <see cref="VmFlushPreview"/>: the stub's pending host ops, then any ops a caller
/// would queue (merged by the seed's rules and the hole rule, never into ops already queued),
/// played against a copy of the shadow. The flush is assumed to stop at the first failure
/// unless it continues on error; an mmap or munmap is assumed to succeed.
/// </summary>
internal static class FlushPlanner
{
    public static VmFlushPreview Plan(StubProcess stub, IEnumerable<(VmOpKind Kind, ulong Address, ulong Length, VmProtection Protection, ulong Offset)> more, bool continueOnError)
    {
        lock (stub.SyncRoot)
        {
            stub.ThrowIfNotRunning();
            var shadow = stub.Shadow.Current.Clone();
            var before = shadow.ToMappings();
            var ops = new List<HostOp>(stub.Queue.Pending.ToArray());
            int queued = ops.Count;
            var projection = new QueueProjection(shadow);
            foreach (var (kind, address, length, protection, offset) in more)
            {
                if (ops.Count > queued && ops[^1].CanAbsorb(kind, address, protection, offset)
                    && !(kind == VmOpKind.Mprotect && projection.HasHole(ops[^1].Address, address + length, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(ops))))
                {
                    var last = ops[^1];
                    last.Length += length;
                    last.MergedCount++;
                    ops[^1] = last;
                }
                else
                {
                    ops.Add(new HostOp
                    {
                        Sequence = ops.Count == 0 ? 1 : ops[^1].Sequence + 1,
                        Kind = kind, Address = address, Length = length,
                        Protection = kind == VmOpKind.Munmap ? VmProtection.None : protection,
                        Offset = kind == VmOpKind.Mmap ? offset : 0,
                        MergedCount = 1,
                    });
                }
            }

            var planned = new List<PlannedHostOp>(ops.Count);
            bool stopped = false;
            foreach (var op in ops)
            {
                var status = VmOpStatus.Skipped;
                if (!stopped)
                {
                    long result = shadow.Predict(op.Kind, op.Address, op.Length);
                    shadow.Record(op.Kind, op.Address, op.Length, op.Protection, op.Offset, result);
                    bool failed = result is >= -4095 and < 0;
                    status = failed ? VmOpStatus.Failed : VmOpStatus.Succeeded;
                    stopped = failed && !continueOnError;
                }
                planned.Add(new PlannedHostOp
                {
                    Operation = op.Kind, Address = op.Address, Length = op.Length, Protection = op.Protection, Offset = op.Offset,
                    MergedCount = op.MergedCount, ExpectedStatus = status,
                    ExpectedErrno = status == VmOpStatus.Failed ? Errno.Name(Errno.ENOMEM) : string.Empty,
                });
            }
            return new VmFlushPreview { Stub = stub, HostOperations = planned, Changes = MappingDiff.Compare(before, shadow.ToMappings()) };
        }
    }
}
