using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static partial class Interop
{
    internal const int PTRACE_TRACEME = 0;
    internal const int PTRACE_CONT = 7;
    internal const int PTRACE_GETREGS = 12;
    internal const int PTRACE_SETREGS = 13;
    internal const int PTRACE_SETOPTIONS = 0x4200;

    internal const int PTRACE_O_EXITKILL = 1 << 20;

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial long ptrace(long request, int pid, nint addr, nint data);

    /// <summary>x86_64 <c>struct user_regs_struct</c>; a 32-bit tracee is seen through it too.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct user_regs_struct
    {
        public ulong r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8;
        public ulong rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs, eflags, rsp, ss;
        public ulong fs_base, gs_base, ds, es, fs, gs;
    }
}
