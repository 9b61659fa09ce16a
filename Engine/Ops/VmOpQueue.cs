using UmlTlb.Shadow;

namespace UmlTlb.Ops;

/// <summary>What became of one queued op: the host op it is in, and whether it merged into the one before.</summary>
public readonly record struct QueuedOp(long HostSequence, bool Coalesced);

/// <summary>
/// A stub's pending host ops, oldest first. Adding merges into the newest pending
/// op when the seed's rules allow and both belong to the same owner; nothing here
/// runs anything. Not thread-safe: the owning stub serialises access.
/// </summary>
internal sealed class VmOpQueue
{
    private const int InitialCapacity = 64;

    private HostOp[] _ops = new HostOp[InitialCapacity];
    private int _head;
    private int _count;
    private long _nextSequence = 1;
    private readonly QueueProjection? _projection;

    /// <summary>A queue that merges mprotects only where <paramref name="projection"/> sees no hole.</summary>
    public VmOpQueue(QueueProjection? projection = null) => _projection = projection;

    public int Count => _count;

    public ReadOnlySpan<HostOp> Pending => _ops.AsSpan(_head, _count);

    /// <summary>The backing array's length; it shrinks back once a large queue has drained.</summary>
    public int Capacity => _ops.Length;

    public QueuedOp Add(VmOpTicket ticket, VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset, bool coalesce)
    {
        if (coalesce && _count > 0)
        {
            ref var last = ref _ops[_head + _count - 1];
            if (last.Ticket == ticket && last.CanAbsorb(kind, address, protection, offset) && !MergeWouldMeetHole(kind, last.Address, address + length))
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
            Ticket = ticket,
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

    /// <summary>
    /// Drops the host ops marked in <paramref name="remove"/> from the oldest
    /// <c>remove.Length</c> ones (they ran, were skipped or discarded); the others keep their order.
    /// </summary>
    public void RemoveMarked(ReadOnlySpan<bool> remove)
    {
        if ((uint)remove.Length > (uint)_count)
        {
            throw new InvalidOperationException($"The queue holds {_count} host ops; a window of {remove.Length} cannot be compacted.");
        }
        // Slide the kept ones to the back of the window, newest first, then move the head past the gap.
        int write = _head + remove.Length;
        for (int i = remove.Length - 1; i >= 0; i--)
        {
            if (!remove[i])
            {
                _ops[--write] = _ops[_head + i];
            }
        }
        int removed = write - _head;
        if (removed > 0 && removed < remove.Length)
        {
            // Ops left behind in the window (another owner's, after a failure) break the run of
            // consecutive sequences the projection folds by: let it rebuild.
            _projection?.Invalidate();
        }
        Array.Clear(_ops, _head, removed);
        _head = write;
        _count -= removed;
        if (_count == 0)
        {
            _head = 0;
            Shrink();
        }
    }

    /// <summary>
    /// Drops every host op of <paramref name="ticket"/> (all when null) from sequence
    /// <paramref name="firstSequence"/> on; returns the queued ops they held, by ticket.
    /// </summary>
    public List<(VmOpTicket Ticket, long Operations)> RemoveAll(VmOpTicket? ticket, long firstSequence = 0)
    {
        var dropped = new Dictionary<VmOpTicket, long>();
        var remove = new bool[_count];
        for (int i = 0; i < _count; i++)
        {
            ref readonly var op = ref _ops[_head + i];
            if ((ticket is null || op.Ticket == ticket) && op.Sequence >= firstSequence)
            {
                remove[i] = true;
                dropped[op.Ticket] = dropped.GetValueOrDefault(op.Ticket) + op.MergedCount;
            }
        }
        if (dropped.Count > 0)
        {
            _projection?.Invalidate();
        }
        RemoveMarked(remove);
        return dropped.Select(d => (d.Key, d.Value)).ToList();
    }

    private void MakeRoom()
    {
        if (_head > _ops.Length / 2)
        {
            Array.Copy(_ops, _head, _ops, 0, _count);
            Array.Clear(_ops, _count, _head);
        }
        else
        {
            var bigger = new HostOp[_ops.Length * 2];
            Array.Copy(_ops, _head, bigger, 0, _count);
            _ops = bigger;
        }
        _head = 0;
    }

    /// <summary>After a large flush the array would keep its peak size for the stub's whole life.</summary>
    private void Shrink()
    {
        if (_ops.Length > InitialCapacity)
        {
            _ops = new HostOp[InitialCapacity];
        }
    }
}
