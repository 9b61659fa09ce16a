using UmlTlb.Native;

namespace UmlTlb.Tracing;

/// <summary>
/// Every ptrace stop of a stub would send SIGCHLD to this whole process, and the
/// .NET runtime's signal thread wakes for each one to look at its own children:
/// measured at 4-9 µs per round trip. SA_NOCLDSTOP on the runtime's SIGCHLD
/// handler stops the kernel from signalling stops (exits still are, and they are
/// all the runtime reaps). The runtime installs its handler lazily, replacing
/// ours, so this is re-applied before every start and flush; it costs one
/// rt_sigaction read when already set.
/// </summary>
internal static unsafe class StopNotifications
{
    public static void Suppress()
    {
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
