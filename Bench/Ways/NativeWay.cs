using System.Diagnostics;
using System.Runtime.InteropServices;
using UmlTlb.Bench.Core;
using static UmlTlb.Bench.Core.Workload;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// The baseline: the same syscalls in this process, on its own 64 MiB memfd. Registered before and after
/// the engine rows; the repetitions of both are pooled into one row, because the machine's speed drifts
/// during a run.
/// </summary>
internal sealed class NativeWay : IMeasuredWay
{
    // Shared by the two registrations: the pool of every native repetition of this run.
    private static readonly List<long> PooledTicks = new();

    public string Name => "native";

    public void Run(BenchRun run)
    {
        Console.WriteLine("native: the same syscalls in this process, on its own 64 MiB memfd");
        const ulong size = StubStartOptions.DefaultPhysicalMemorySize;
        int n = run.N;
        int fd = NativeCalls.memfd_create("umltlb-bench-native", 1 /* MFD_CLOEXEC */);
        if (fd < 0 || NativeCalls.ftruncate(fd, (long)size) != 0)
        {
            throw new InvalidOperationException($"memfd for the native run: errno {Marshal.GetLastPInvokeError()}");
        }
        ulong span = AddressOf(n - 1) + Page - Base;
        try
        {
            var ticks = run.Measure(() =>
            {
                // The range must be free: check it with MAP_FIXED_NOREPLACE, then give it back.
                nint probe = NativeCalls.mmap((nint)Base, (nuint)span, 0, NativeCalls.MAP_PRIVATE | NativeCalls.MAP_ANONYMOUS | NativeCalls.MAP_FIXED_NOREPLACE | NativeCalls.MAP_NORESERVE, -1, 0);
                if (probe != (nint)Base)
                {
                    throw new InvalidOperationException($"0x{Base:x}+0x{span:x} is not free in the bench process (errno {Marshal.GetLastPInvokeError()}).");
                }
                NativeCalls.munmap(probe, (nuint)span);

                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < n; i++)
                {
                    nint a = (nint)AddressOf(i);
                    if (NativeCalls.mmap(a, (nuint)Page, 3, NativeCalls.MAP_SHARED | NativeCalls.MAP_FIXED, fd, (long)OffsetOf(i, size)) != a)
                    {
                        throw new InvalidOperationException($"native mmap: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                for (int i = 0; i < n; i++)
                {
                    if (NativeCalls.mprotect((nint)AddressOf(i), (nuint)Page, 1) != 0)
                    {
                        throw new InvalidOperationException($"native mprotect: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                for (int i = 0; i < n; i++)
                {
                    if (NativeCalls.munmap((nint)AddressOf(i), (nuint)Page) != 0)
                    {
                        throw new InvalidOperationException($"native munmap: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                return Stopwatch.GetTimestamp() - start;
            });
            PooledTicks.AddRange(ticks);
            run.RemoveRows("native");
            run.AddRow("native", "x86_64", "", "", n, 3L * n, PooledTicks.ToArray(), "before and after the engine rows");
        }
        finally
        {
            NativeCalls.close(fd);
        }
    }
}
