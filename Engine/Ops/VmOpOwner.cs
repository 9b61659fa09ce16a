using UmlTlb.Ops;

namespace UmlTlb;

/// <summary>
/// Who queued an op: one PowerShell pipeline, or one engine caller. A stub keeps one queue
/// and runs it in order whoever flushes it, but every result goes to the owner of its op:
/// into the owner's mailbox for that stub, which only a flush serving the owner drains.
/// Ops of different owners are never merged into one host op.
/// </summary>
public sealed class VmOpOwner
{
    private readonly object _gate = new();
    private readonly Dictionary<StubProcess, VmOpTicket> _tickets = new();
    private object? _attachedTo;

    public VmOpOwner(string description) => Description = description;

    /// <summary>The owner of ops queued through the engine API without one (tests, benchmarks).</summary>
    public static VmOpOwner Default { get; } = new("engine callers");

    /// <summary>For messages: which pipeline or caller this is.</summary>
    public string Description { get; }

    /// <summary>Keep going after a failed op; otherwise its later ops are skipped until its flush completes.</summary>
    public bool ContinueOnError { get; set; }

    /// <summary>
    /// Keep a result object for every op. False under -Summary: only failures are kept (they become
    /// errors); everything else is only counted, so a flush of millions of ops keeps nothing per op.
    /// </summary>
    public bool KeepResults { get; set; } = true;

    /// <summary>True while a flush has claimed this owner (see <see cref="TryAttach"/>).</summary>
    public bool IsAttached => Volatile.Read(ref _attachedTo) is not null;

    /// <summary>Queued ops of this owner, in every stub, not yet run, skipped or discarded.</summary>
    public long PendingOperations
    {
        get
        {
            long n = 0;
            foreach (var ticket in Tickets())
            {
                lock (ticket.Stub.SyncRoot)
                {
                    n += ticket.PendingOperations;
                }
            }
            return n;
        }
    }

    /// <summary>True when nothing of this owner is pending or waiting to be delivered.</summary>
    public bool IsIdle
    {
        get
        {
            foreach (var ticket in Tickets())
            {
                lock (ticket.Stub.SyncRoot)
                {
                    if (!ticket.IsIdle)
                    {
                        return false;
                    }
                }
            }
            return true;
        }
    }

    /// <summary>
    /// Claims the owner for one flush (<paramref name="claimant"/>), so that two flushes never
    /// deliver its results; false when another flush holds it.
    /// </summary>
    public bool TryAttach(object claimant) =>
        Interlocked.CompareExchange(ref _attachedTo, claimant, null) is null || ReferenceEquals(Volatile.Read(ref _attachedTo), claimant);

    /// <summary>Releases the claim of <paramref name="claimant"/>; a no-op for anyone else.</summary>
    public void Detach(object claimant) => Interlocked.CompareExchange(ref _attachedTo, null, claimant);

    /// <summary>
    /// Drops this owner's pending ops from every stub's queue unrun (the pipeline that queued
    /// them ended early); returns how many queued ops that was. Other owners' ops stay queued.
    /// </summary>
    public long DiscardPending()
    {
        long n = 0;
        foreach (var ticket in Tickets())
        {
            n += ticket.Stub.DiscardPending(ticket, 0);
        }
        return n;
    }

    /// <summary>
    /// Drops this owner's pending host ops in <paramref name="stub"/> from <paramref name="firstSequence"/>
    /// on (what one command queued); returns how many queued ops they held.
    /// </summary>
    public long DiscardPending(StubProcess stub, long firstSequence) =>
        FindTicket(stub) is { } ticket ? stub.DiscardPending(ticket, firstSequence) : 0;

    public override string ToString() => Description;

    /// <summary>This owner's ticket for <paramref name="stub"/>; called under the stub's lock.</summary>
    internal VmOpTicket TicketFor(StubProcess stub)
    {
        lock (_gate)
        {
            if (!_tickets.TryGetValue(stub, out var ticket))
            {
                ticket = new VmOpTicket(this, stub);
                _tickets[stub] = ticket;
            }
            return ticket;
        }
    }

    /// <summary>This owner's ticket for <paramref name="stub"/>, or null when it never queued there.</summary>
    internal VmOpTicket? FindTicket(StubProcess stub)
    {
        lock (_gate)
        {
            return _tickets.GetValueOrDefault(stub);
        }
    }

    private VmOpTicket[] Tickets()
    {
        lock (_gate)
        {
            return _tickets.Values.ToArray();
        }
    }
}
