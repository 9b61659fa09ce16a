using System.Runtime.InteropServices;
using UmlTlb.Native;

namespace UmlTlb.Bench.Core;

/// <summary>Read and write this process's SIGCHLD disposition with the raw rt_sigaction (the kernel's struct, not glibc's).</summary>
internal static unsafe class Sigchld
{
    public static Interop.kernel_sigaction Read()
    {
        Interop.kernel_sigaction old;
        if (Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, null, &old, 8) != 0)
        {
            throw new InvalidOperationException($"rt_sigaction(SIGCHLD) read: errno {Marshal.GetLastPInvokeError()}");
        }
        return old;
    }

    public static void Write(Interop.kernel_sigaction action)
    {
        if (Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, &action, null, 8) != 0)
        {
            throw new InvalidOperationException($"rt_sigaction(SIGCHLD) write: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static string Describe(Interop.kernel_sigaction a) =>
        (a.handler switch { 0 => "SIG_DFL", 1 => "SIG_IGN", _ => $"handler 0x{a.handler:x}" }) + $", flags 0x{a.flags:x}" +
        ((a.flags & Interop.SA_NOCLDSTOP) != 0 ? " (SA_NOCLDSTOP)" : "");
}
