namespace UmlTlb.PageTables;

/// <summary>One page-table entry: which page of the physical-memory file, with what protection, and what the host still lacks.</summary>
internal struct PageEntry
{
    public ulong Offset;
    public VmProtection Protection;
    public PageChange Change;

    public readonly bool Present => (Change & PageChange.Removed) == 0;

    /// <summary>The host op a sync makes of this entry: none for a clean one unless forced.</summary>
    public readonly VmOpKind? OpFor(bool force) => Change switch
    {
        _ when (Change & PageChange.Removed) != 0 => VmOpKind.Munmap,
        _ when (Change & PageChange.NewPage) != 0 => VmOpKind.Mmap,
        _ when force => VmOpKind.Mmap,
        _ when (Change & PageChange.NewProtection) != 0 => VmOpKind.Mprotect,
        _ => null,
    };
}
