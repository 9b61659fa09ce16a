using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static unsafe partial class Interop
{
    internal const long SYS_gettid = 186;
    internal const long SYS_pidfd_open = 434;

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial long syscall(long number, long a1);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial long syscall(long number, long a1, long a2);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int sched_getaffinity(int pid, nuint cpusetsize, ulong* mask);

    [LibraryImport(Libc)]
    internal static partial int sched_getcpu();

    internal static int gettid() => (int)syscall(SYS_gettid, 0);

    internal static int pidfd_open(int pid) => (int)syscall(SYS_pidfd_open, pid, 0);
}
