namespace UmlTlb.Native;

internal static partial class Interop
{
    /// <summary>memfd_create: the file may be executed (Linux 6.3+; older kernels refuse the flag with EINVAL).</summary>
    internal const uint MFD_EXEC = 0x0010;

    /// <summary>fcntl: duplicate to the lowest free fd at or above the argument, close-on-exec.</summary>
    internal const int F_DUPFD_CLOEXEC = 1030;

    /// <summary>The lowest fd number a memfd may keep: posix_spawn's dup2 onto fds 3 and 4 must never hit one.</summary>
    internal const int FirstFreeFd = 5;
}
