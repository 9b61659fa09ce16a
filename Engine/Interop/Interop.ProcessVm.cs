using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static unsafe partial class Interop
{
    [StructLayout(LayoutKind.Sequential)]
    internal struct iovec
    {
        public void* iov_base;
        public nuint iov_len;
    }

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial nint process_vm_readv(int pid, iovec* local, nuint liovcnt, iovec* remote, nuint riovcnt, nuint flags);
}
