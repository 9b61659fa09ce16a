using UmlTlb.Native;

namespace UmlTlb.Processes;

/// <summary>
/// Spreads colocated stubs over the CPUs this process may use, avoiding the CPU of
/// the thread that starts the stub: that thread is likely to be the one handing it
/// work, and a caller that shares the tracer's CPU waits for it instead of spinning.
/// </summary>
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
        int current = Interop.sched_getcpu();
        if (allowed.Count > 1)
        {
            allowed.Remove(current);
        }
        return allowed[(Interlocked.Increment(ref _next) - 1) % allowed.Count];
    }
}
