using System.Runtime.InteropServices;

namespace UmlTlb.Native;

internal static unsafe partial class Interop
{
    internal const short POSIX_SPAWN_SETPGROUP = 0x02;
    internal const short POSIX_SPAWN_SETSIGDEF = 0x04;
    internal const short POSIX_SPAWN_SETSIGMASK = 0x08;

    /// <summary>Opaque glibc objects; these sizes are larger than glibc's (80, 336 and 128 bytes).</summary>
    internal const int SpawnFileActionsSize = 128;
    internal const int SpawnAttrSize = 512;
    internal const int SigsetSize = 128;

    [LibraryImport(Libc)]
    internal static partial int posix_spawn(out int pid, byte* path, void* fileActions, void* attr, byte** argv, byte** envp);

    [LibraryImport(Libc)]
    internal static partial int posix_spawn_file_actions_init(void* fileActions);

    [LibraryImport(Libc)]
    internal static partial int posix_spawn_file_actions_adddup2(void* fileActions, int fd, int newfd);

    [LibraryImport(Libc)]
    internal static partial int posix_spawn_file_actions_destroy(void* fileActions);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_init(void* attr);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_setflags(void* attr, short flags);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_setpgroup(void* attr, int pgroup);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_setsigmask(void* attr, void* sigmask);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_setsigdefault(void* attr, void* sigdefault);

    [LibraryImport(Libc)]
    internal static partial int posix_spawnattr_destroy(void* attr);

    [LibraryImport(Libc)]
    internal static partial int sigemptyset(void* set);

    [LibraryImport(Libc)]
    internal static partial int sigfillset(void* set);
}
