using UmlTlb.Native;

namespace UmlTlb.Tracing;

/// <summary>
/// Every ptrace stop of a stub would send SIGCHLD to this whole process, and the
/// .NET runtime's signal thread wakes for each one to look at its own children:
/// measured at 4-9 µs per round trip. SA_NOCLDSTOP on the runtime's SIGCHLD
/// handler stops the kernel from signalling stops (exits still are, and they are
/// all the runtime reaps). The runtime installs its handler lazily, replacing
/// ours, so this is re-applied before every start and flush, at most every
/// 100 ms: a check is one rt_sigaction call, a sizeable part of a single-op flush.
/// </summary>
internal static unsafe class StopNotifications
{
    private static readonly long CheckInterval = System.Diagnostics.Stopwatch.Frequency / 10;
    private static long _nextCheck;

    public static void Suppress()
    {
        long now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (now < Volatile.Read(ref _nextCheck))
        {
            return;
        }
        Volatile.Write(ref _nextCheck, now + CheckInterval);
        Interop.kernel_sigaction action;
        if (Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, null, &action, sizeof(ulong)) != 0
            || (action.flags & Interop.SA_NOCLDSTOP) != 0)
        {
            return;
        }
        action.flags |= Interop.SA_NOCLDSTOP;
        Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, &action, null, sizeof(ulong));
    }
}
