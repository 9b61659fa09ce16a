using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static partial class Interop
{
    internal const int WNOHANG = 1;
    internal const int __WALL = 0x40000000;

    [LibraryImport(Libc, SetLastError = true)]
    internal static partial int waitpid(int pid, out int status, int options);
}
