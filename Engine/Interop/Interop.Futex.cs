using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static unsafe partial class Interop
{
    internal const long SYS_futex = 202;
    internal const long SYS_pidfd_send_signal = 424;

    // Shared futexes on purpose (no FUTEX_PRIVATE_FLAG): the word lives in a MAP_SHARED memfd that the stub waits on too.
    internal const int FUTEX_WAIT = 0, FUTEX_WAKE = 1;

    [LibraryImport(Libc, SetLastError = true)]
    private static partial long syscall(long number, int* uaddr, int op, int val, nint timeout, nint uaddr2, int val3);

    [LibraryImport(Libc, SetLastError = true)]
    private static partial long syscall(long number, int pidfd, int signal, nint info, uint flags);

    /// <summary>Sleeps while *<paramref name="uaddr"/> == <paramref name="expected"/>; returns early on a wake, a signal or a changed value.</summary>
    internal static long futex_wait(int* uaddr, int expected) => syscall(SYS_futex, uaddr, FUTEX_WAIT, expected, 0, 0, 0);

    internal static long futex_wake(int* uaddr, int count) => syscall(SYS_futex, uaddr, FUTEX_WAKE, count, 0, 0, 0);

    internal static int pidfd_send_signal(int pidfd, int signal) => (int)syscall(SYS_pidfd_send_signal, pidfd, signal, 0, 0);
}
