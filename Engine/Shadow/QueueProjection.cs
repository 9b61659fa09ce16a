using UmlTlb.Ops;

namespace UmlTlb.Shadow;

/// <summary>
/// Which pages the next queued op will find mapped: the shadow, plus every pending mmap and
/// munmap as if it succeeds (a pending mprotect maps and unmaps nothing). The queue asks it
/// before merging two mprotects, since one host op over a hole fails at the hole where the
/// two ops alone would each protect their mapped pages. Built on first use and then kept up
/// to date by folding in pending ops as they are queued; thrown away when the shadow stops
/// following the queue (a failed or skipped op, a cleared queue, a rollback).
/// </summary>
internal sealed class QueueProjection
{
    private readonly AddressSpaceShadow _shadow;
    private RangeMap? _mapped;
    // The newest pending host op folded in, and how far it reached then: merging may have grown it since.
    private long _foldedSequence;
    private ulong _foldedEnd;

    public QueueProjection(AddressSpaceShadow shadow) => _shadow = shadow;

    public void Invalidate() => _mapped = null;

    /// <summary>True when some page of [start, end) will be unmapped once every op in <paramref name="pending"/> has run.</summary>
    public bool HasHole(ulong start, ulong end, ReadOnlySpan<HostOp> pending)
    {
        if (_mapped is null)
        {
            _mapped = new RangeMap();
            foreach (var r in _shadow.Ranges.All)
            {
                // Offsets that continue each other, so that touching ranges merge into one.
                _mapped.Map(r.Start, r.End, r.Start, VmProtection.None);
            }
            _foldedSequence = 0;
            _foldedEnd = 0;
        }
        // Pending host ops are in sequence order: start at the last one folded.
        for (int i = FirstAtOrAfter(pending, _foldedSequence); i < pending.Length; i++)
        {
            ref readonly var op = ref pending[i];
            ulong foldFrom = op.Sequence == _foldedSequence ? Math.Max(_foldedEnd, op.Address) : op.Address;
            if (foldFrom < op.End)
            {
                Fold(op.Kind, foldFrom, op.End);
            }
            _foldedSequence = op.Sequence;
            _foldedEnd = op.End;
        }
        return _mapped.FirstHole(start, end) is not null;
    }

    private static int FirstAtOrAfter(ReadOnlySpan<HostOp> pending, long sequence)
    {
        int lo = 0, hi = pending.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (pending[mid].Sequence < sequence)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    private void Fold(VmOpKind kind, ulong start, ulong end)
    {
        if (kind == VmOpKind.Mmap)
        {
            _mapped!.Map(start, end, start, VmProtection.None);
        }
        else if (kind == VmOpKind.Munmap)
        {
            _mapped!.Unmap(start, end);
        }
    }
}
