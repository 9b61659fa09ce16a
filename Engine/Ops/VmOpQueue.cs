using UmlTlb.Shadow;

namespace UmlTlb.Ops;

/// <summary>What became of one queued op: the host op it is in, and whether it merged into the one before.</summary>
public readonly record struct QueuedOp(long HostSequence, bool Coalesced);

/// <summary>
/// A stub's pending host ops, oldest first. Adding merges into the newest pending
/// op when the seed's rules allow; nothing here runs anything.
/// Not thread-safe: the owning stub serialises access.
/// </summary>
internal sealed class VmOpQueue
{
    private HostOp[] _ops = new HostOp[64];
    private int _head;
    private int _count;
    private long _nextSequence = 1;
    private readonly List<(long From, long To)> _cleared = new();
    private readonly QueueProjection? _projection;

    /// <summary>A queue that merges mprotects only where <paramref name="projection"/> sees no hole.</summary>
    public VmOpQueue(QueueProjection? projection = null) => _projection = projection;

    public int Count => _count;

    public ReadOnlySpan<HostOp> Pending => _ops.AsSpan(_head, _count);

    /// <summary>Sequence number of the oldest pending host op, or of the next one when none is pending.</summary>
    public long FirstPendingSequence => _count > 0 ? _ops[_head].Sequence : _nextSequence;

    public QueuedOp Add(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset, bool coalesce)
    {
        if (coalesce && _count > 0)
        {
            ref var last = ref _ops[_head + _count - 1];
            if (last.CanAbsorb(kind, address, protection, offset) && !MergeWouldMeetHole(kind, last.Address, address + length))
            {
                last.Length += length;
                last.MergedCount++;
                return new QueuedOp(last.Sequence, true);
            }
        }
        if (_head + _count == _ops.Length)
        {
            MakeRoom();
        }
        _ops[_head + _count] = new HostOp
        {
            Sequence = _nextSequence++,
            Kind = kind,
            Address = address,
            Length = length,
            Protection = kind == VmOpKind.Munmap ? VmProtection.None : protection,
            Offset = kind == VmOpKind.Mmap ? offset : 0,
            MergedCount = 1,
        };
        _count++;
        return new QueuedOp(_ops[_head + _count - 1].Sequence, false);
    }

    /// <summary>
    /// An mprotect over a hole fails there after changing the pages before it: merged with the
    /// one before, it would leave unchanged the pages after the hole that it alone would protect.
    /// </summary>
    private bool MergeWouldMeetHole(VmOpKind kind, ulong start, ulong end) =>
        kind == VmOpKind.Mprotect && _projection is not null && _projection.HasHole(start, end, Pending);

    /// <summary>Drops the <paramref name="n"/> oldest host ops, once they have run or been skipped.</summary>
    public void RemoveFirst(int n)
    {
        if ((uint)n > (uint)_count)
        {
            throw new InvalidOperationException($"The queue holds {_count} host ops; {n} cannot be removed.");
        }
        _head += n;
        _count -= n;
        if (_count == 0)
        {
            _head = 0;
        }
    }

    /// <summary>Drops every pending host op unrun, remembering which sequences were discarded.</summary>
    public void Clear()
    {
        if (_count > 0)
        {
            _cleared.Add((_ops[_head].Sequence, _ops[_head + _count - 1].Sequence));
            _projection?.Invalidate();
        }
        RemoveFirst(_count);
    }

    /// <summary>True when host op <paramref name="sequence"/> was discarded by <see cref="Clear"/> rather than run.</summary>
    public bool WasCleared(long sequence) => _cleared.Any(r => sequence >= r.From && sequence <= r.To);

    private void MakeRoom()
    {
        if (_head > _ops.Length / 2)
        {
            Array.Copy(_ops, _head, _ops, 0, _count);
        }
        else
        {
            var bigger = new HostOp[_ops.Length * 2];
            Array.Copy(_ops, _head, bigger, 0, _count);
            _ops = bigger;
        }
        _head = 0;
    }
}
