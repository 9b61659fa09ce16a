using UmlTlb.Native;

namespace UmlTlb.Processes;

/// <summary>Spreads colocated stubs over the CPUs this process may use.</summary>
internal static unsafe class CpuPicker
{
    private static int _next;

    public static int Next()
    {
        ulong* mask = stackalloc ulong[16];
        new Span<ulong>(mask, 16).Clear();
        var allowed = new List<int>();
        if (Interop.sched_getaffinity(0, 16 * sizeof(ulong), mask) == 0)
        {
            for (int cpu = 0; cpu < 1024; cpu++)
            {
                if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0)
                {
                    allowed.Add(cpu);
                }
            }
        }
        if (allowed.Count == 0)
        {
            allowed.Add(0);
        }
        return allowed[(Interlocked.Increment(ref _next) - 1) % allowed.Count];
    }
}
