namespace UmlTlb.Ops;

/// <summary>
/// One queued syscall for the stub, after merging (the 2005 host_vm_op). Its
/// <see cref="Sequence"/> numbers it among all host ops of its stub.
/// </summary>
internal struct HostOp
{
    public long Sequence;

    /// <summary>Whose op it is: the owner and stub its outcome goes to.</summary>
    public VmOpTicket Ticket;
    public VmOpKind Kind;
    public ulong Address;
    public ulong Length;
    public VmProtection Protection;
    public ulong Offset;
    public int MergedCount;

    public readonly ulong End => Address + Length;

    /// <summary>
    /// The seed's add_mmap / add_munmap / add_mprotect test: same kind, contiguous,
    /// and for mmap the same protection with contiguous offsets in the one
    /// physical-memory file, for mprotect the same protection.
    /// </summary>
    public readonly bool CanAbsorb(VmOpKind kind, ulong address, VmProtection protection, ulong offset) =>
        Kind == kind && End == address && kind switch
        {
            VmOpKind.Mmap => Protection == protection && Offset + Length == offset,
            VmOpKind.Mprotect => Protection == protection,
            VmOpKind.Munmap => true,
            _ => false,
        };
}
