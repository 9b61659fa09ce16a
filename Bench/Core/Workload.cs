namespace UmlTlb.Bench.Core;

/// <summary>
/// The workload every workload row times: map N separate pages of the physical-memory file
/// (MAP_SHARED|MAP_FIXED), mprotect each read-only, munmap each = 3N ops.
/// </summary>
internal static class Workload
{
    public const ulong Page = 4096;

    /// <summary>Where the workload's pages go: low, far from anything the kernel picks on its own, below any stub's code.</summary>
    public const ulong Base = 0x10000000;

    /// <summary>Page i of the workload: every other page, so that no two ops are contiguous and nothing merges.</summary>
    public static ulong AddressOf(int i) => Base + (ulong)i * 2 * Page;

    public static ulong OffsetOf(int i, ulong physicalSize) => ((ulong)i * Page) % physicalSize;
}
