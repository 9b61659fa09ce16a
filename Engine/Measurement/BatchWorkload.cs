namespace UmlTlb.Measurement;

/// <summary>
/// The standard op mix of every UmlTlb measurement: map N separate pages of the
/// physical-memory file (MAP_SHARED|MAP_FIXED), mprotect each read-only, munmap
/// each: 3N ops, none contiguous with the one before, so nothing merges.
/// </summary>
public static class BatchWorkload
{
    public const ulong Page = 4096;

    /// <summary>Where the pages go: low, far from anything the kernel picks on its own, below any stub's code.</summary>
    public const ulong Base = 0x10000000;

    /// <summary>Page i of the mix: every other page, so that no two ops are contiguous.</summary>
    public static ulong AddressOf(int i) => Base + (ulong)i * 2 * Page;

    public static ulong OffsetOf(int i, ulong physicalSize) => ((ulong)i * Page) % physicalSize;

    /// <summary>The pages the mix touches for <paramref name="operations"/> ops (3 per page, rounded up).</summary>
    public static int PagesFor(int operations) => (operations + 2) / 3;

    /// <summary>The address range the mix of <paramref name="pages"/> pages spans.</summary>
    public static ulong SpanOf(int pages) => AddressOf(pages - 1) + Page - Base;

    /// <summary>Op <paramref name="index"/> of the mix of <paramref name="pages"/> pages: all mmaps, then all mprotects, then all munmaps.</summary>
    public static (VmOpKind Kind, ulong Address, VmProtection Protection, ulong Offset) Op(int index, int pages, ulong physicalSize)
    {
        int page = index % pages;
        return (index / pages) switch
        {
            0 => (VmOpKind.Mmap, AddressOf(page), VmProtection.Read | VmProtection.Write, OffsetOf(page, physicalSize)),
            1 => (VmOpKind.Mprotect, AddressOf(page), VmProtection.Read, 0),
            _ => (VmOpKind.Munmap, AddressOf(page), VmProtection.None, 0),
        };
    }
}
