using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static unsafe partial class Interop
{
    internal const int SIGHUP = 1, SIGINT = 2, SIGQUIT = 3, SIGILL = 4, SIGTRAP = 5, SIGABRT = 6, SIGBUS = 7,
        SIGFPE = 8, SIGKILL = 9, SIGUSR1 = 10, SIGSEGV = 11, SIGUSR2 = 12, SIGPIPE = 13, SIGALRM = 14,
        SIGTERM = 15, SIGCHLD = 17, SIGCONT = 18, SIGSTOP = 19, SIGTSTP = 20, SIGTTIN = 21, SIGTTOU = 22;

    internal const ulong SA_NOCLDSTOP = 1;

    /// <summary>The kernel's <c>struct sigaction</c> for x86_64 rt_sigaction (not glibc's).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct kernel_sigaction
    {
        public nint handler;
        public ulong flags;
        public nint restorer;
        public ulong mask;
    }

    internal const long SYS_rt_sigaction = 13;

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial long syscall(long number, long a1, kernel_sigaction* act, kernel_sigaction* oldact, long sigsetsize);
}
