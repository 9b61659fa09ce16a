namespace UmlTlb;

/// <summary>
/// What a page-table entry still owes the host since its last sync: the seed's pte_newpage
/// and pte_newprot, and a page taken away. None: the host has what the entry says.
/// </summary>
[Flags]
public enum PageChange
{
    None = 0,

    /// <summary>Mapped anew, or at another offset: the sync maps it (mmap).</summary>
    NewPage = 1,

    /// <summary>Same page, another protection: the sync protects it (mprotect).</summary>
    NewProtection = 2,

    /// <summary>Taken away: the sync unmaps it (munmap) and then forgets the entry.</summary>
    Removed = 4,
}
