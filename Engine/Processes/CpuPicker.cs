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

    /// <summary>
    /// Moves the calling thread off <paramref name="cpu"/> and gives it its own affinity
    /// back at once: the kernel migrates it on the first call and leaves it where it is
    /// after the second. False when it cannot go anywhere else.
    /// </summary>
    public static bool StepOff(int cpu)
    {
        ulong* original = stackalloc ulong[16];
        ulong* elsewhere = stackalloc ulong[16];
        new Span<ulong>(original, 16).Clear();
        if (Interop.sched_getaffinity(0, 16 * sizeof(ulong), original) != 0)
        {
            return false;
        }
        new Span<ulong>(original, 16).CopyTo(new Span<ulong>(elsewhere, 16));
        elsewhere[cpu / 64] &= ~(1UL << (cpu % 64));
        if (new Span<ulong>(elsewhere, 16).IndexOfAnyExcept(0UL) < 0
            || Interop.sched_setaffinity(0, 16 * sizeof(ulong), elsewhere) != 0)
        {
            return false;
        }
        Interop.sched_setaffinity(0, 16 * sizeof(ulong), original);
        return true;
    }
}
