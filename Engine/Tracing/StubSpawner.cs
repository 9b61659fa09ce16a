using System.Text;
using UmlTlb.Native;

namespace UmlTlb.Tracing;

/// <summary>
/// Starts a stub executable with posix_spawn, never with System.Diagnostics.Process
/// (whose SIGCHLD reaping would race our waitpid) and never with a managed fork
/// (a child of a multi-threaded runtime may only make async-signal-safe calls).
/// The calling thread becomes the stub's parent, which is what PR_SET_PDEATHSIG
/// and PTRACE_TRACEME bind to: call it from the tracer thread.
/// </summary>
internal static unsafe class StubSpawner
{
    public static int Spawn(string path, string argv0, int dataFd, int physicalMemoryFd)
    {
        var fileActions = stackalloc byte[Interop.SpawnFileActionsSize];
        var attr = stackalloc byte[Interop.SpawnAttrSize];
        var allSignals = stackalloc byte[Interop.SigsetSize];
        var noSignals = stackalloc byte[Interop.SigsetSize];

        var pathBytes = Encoding.UTF8.GetBytes(path + "\0");
        var argBytes = Encoding.UTF8.GetBytes(argv0 + "\0");

        Check(Interop.posix_spawn_file_actions_init(fileActions), "posix_spawn_file_actions_init");
        Check(Interop.posix_spawnattr_init(attr), "posix_spawnattr_init");
        try
        {
            // dup2 clears close-on-exec on the copies: these two fds are all the stub inherits on purpose.
            Check(Interop.posix_spawn_file_actions_adddup2(fileActions, dataFd, Abi.StubDataLayout.DataFd), "adddup2(data)");
            Check(Interop.posix_spawn_file_actions_adddup2(fileActions, physicalMemoryFd, Abi.StubDataLayout.PhysicalMemoryFd), "adddup2(physmem)");

            // The runtime ignores SIGPIPE and may block signals on this thread; the stub must start clean.
            Interop.sigfillset(allSignals);
            Interop.sigemptyset(noSignals);
            Check(Interop.posix_spawnattr_setsigdefault(attr, allSignals), "posix_spawnattr_setsigdefault");
            Check(Interop.posix_spawnattr_setsigmask(attr, noSignals), "posix_spawnattr_setsigmask");
            // A process group of its own: Ctrl-C or Ctrl-\ at the terminal is meant for PowerShell, not the stubs.
            Check(Interop.posix_spawnattr_setpgroup(attr, 0), "posix_spawnattr_setpgroup");
            Check(Interop.posix_spawnattr_setflags(attr, Interop.POSIX_SPAWN_SETSIGDEF | Interop.POSIX_SPAWN_SETSIGMASK | Interop.POSIX_SPAWN_SETPGROUP), "posix_spawnattr_setflags");

            fixed (byte* p = pathBytes)
            fixed (byte* a = argBytes)
            {
                byte** argv = stackalloc byte*[2];
                argv[0] = a;
                argv[1] = null;
                byte** envp = stackalloc byte*[1];
                envp[0] = null;
                Check(Interop.posix_spawn(out int pid, p, fileActions, attr, argv, envp), $"posix_spawn({path})");
                return pid;
            }
        }
        finally
        {
            Interop.posix_spawn_file_actions_destroy(fileActions);
            Interop.posix_spawnattr_destroy(attr);
        }
    }

    private static void Check(int result, string call)
    {
        // posix_spawn* return the error number instead of setting errno.
        if (result != 0)
        {
            throw new UnixErrorException(call, result);
        }
    }
}
