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

    /// <summary>
    /// The 3N ops queued into one engine flush, each full data area run as it fills (the batch path);
    /// throws unless every host op ran and succeeded.
    /// </summary>
    public static VmFlushSummary StreamThroughEngine(StubProcess stub, int n)
    {
        ulong size = stub.PhysicalMemorySize;
        var flush = stub.BeginFlush();
        for (int i = 0; i < n; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, AddressOf(i), Page, VmProtection.Read | VmProtection.Write, OffsetOf(i, size));
            flush.RunFullDataAreas(null);
        }
        for (int i = 0; i < n; i++)
        {
            stub.Enqueue(VmOpKind.Mprotect, AddressOf(i), Page, VmProtection.Read, 0);
            flush.RunFullDataAreas(null);
        }
        for (int i = 0; i < n; i++)
        {
            stub.Enqueue(VmOpKind.Munmap, AddressOf(i), Page, VmProtection.None, 0);
            flush.RunFullDataAreas(null);
        }
        var summary = flush.Complete(null);
        if (summary.Failed != 0 || summary.Skipped != 0 || summary.HostOperations != 3L * n)
        {
            throw new InvalidOperationException($"batch flush: {summary.Failed} failed, {summary.Skipped} skipped, {summary.HostOperations} host ops (expected {3L * n}).");
        }
        return summary;
    }
}
