using System.Diagnostics;
using Tmds.Linux;
using UmlTlb.Native;
using UmlTlb.Processes;
using static Tmds.Linux.LibC;

namespace UmlTlb.Measurement;

/// <summary>
/// The mix's system calls made by this process itself, on a memfd of its own: what
/// the ops cost without a stub, the denominator of every ratio in a measurement.
/// </summary>
internal static unsafe class NativeBaseline
{
    /// <summary>Runs the mix of <paramref name="pages"/> pages once; returns the Stopwatch ticks it took.</summary>
    public static long Run(int pages, ulong physicalSize)
    {
        using var memfd = MemFd.Create("umltlb-native-baseline", physicalSize);
        ulong span = BatchWorkload.SpanOf(pages);
        // The range must be free in this process: claim it without replacing anything, then give it back.
        void* probe = mmap((void*)BatchWorkload.Base, (size_t)span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MapFixedNoReplace, -1, 0);
        if (probe != (void*)BatchWorkload.Base)
        {
            if (probe != MAP_FAILED)
            {
                munmap(probe, (size_t)span);
            }
            throw new InvalidOperationException($"0x{BatchWorkload.Base:x}-0x{BatchWorkload.Base + span:x} is not free in this process: the native baseline cannot run there.");
        }
        munmap(probe, (size_t)span);

        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 * pages; i++)
        {
            var (kind, address, protection, offset) = BatchWorkload.Op(i, pages, physicalSize);
            int result = kind switch
            {
                VmOpKind.Mmap => mmap((void*)address, (size_t)BatchWorkload.Page, (int)protection, MAP_SHARED | MAP_FIXED, memfd.Fd, (long)offset) == (void*)address ? 0 : -1,
                VmOpKind.Mprotect => mprotect((void*)address, (size_t)BatchWorkload.Page, (int)protection),
                _ => munmap((void*)address, (size_t)BatchWorkload.Page),
            };
            if (result != 0)
            {
                throw UnixErrorException.FromLastError($"native {kind} at 0x{address:x}");
            }
        }
        return Stopwatch.GetTimestamp() - start;
    }

    // Linux's MAP_FIXED_NOREPLACE (4.17+): fail rather than replace an existing mapping.
    private const int MapFixedNoReplace = 0x100000;
}
