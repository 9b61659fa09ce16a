using System.Runtime.InteropServices;
using System.Text;
using UmlTlb.Native;
using static Tmds.Linux.LibC;

namespace UmlTlb.Processes;

/// <summary>An anonymous memory file (memfd_create), closed with the handle.</summary>
internal sealed unsafe class MemFd : SafeHandle
{
    private MemFd(int fd, ulong size) : base(-1, ownsHandle: true)
    {
        SetHandle(fd);
        Size = size;
    }

    public ulong Size { get; }

    public int Fd => (int)handle;

    public override bool IsInvalid => handle == -1;

    /// <summary>The seals every memfd shared with a stub carries: its size is fixed for good.</summary>
    public static readonly int SizeSeals = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;

    /// <summary>
    /// Creates a memfd of <paramref name="size"/> bytes that no spawned program inherits by
    /// accident, sealed against any change of size.
    /// </summary>
    /// <remarks>
    /// Sealed before the stub exists, so before anyone else can reach the file: another
    /// process of the same user can open it through /proc/&lt;stub&gt;/fd, and a truncated
    /// data area would make this process die of SIGBUS at its next access to its mapping.
    /// </remarks>
    public static MemFd Create(string name, ulong size)
    {
        var memfd = CreateUnsized(name, MFD_CLOEXEC | MFD_ALLOW_SEALING, size);
        try
        {
            if (ftruncate(memfd.Fd, (long)size) != 0)
            {
                throw UnixErrorException.FromLastError("ftruncate");
            }
            memfd.AddSeals(SizeSeals);
            return memfd;
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    /// <summary>The seals of the file (F_GET_SEALS).</summary>
    public int Seals
    {
        get
        {
            int seals = fcntl(Fd, F_GET_SEALS);
            if (seals < 0)
            {
                throw UnixErrorException.FromLastError("fcntl(F_GET_SEALS)");
            }
            return seals;
        }
    }

    /// <summary>Adds <paramref name="seals"/> (F_ADD_SEALS); F_SEAL_SEAL among them forbids any more.</summary>
    public void AddSeals(int seals)
    {
        if (fcntl(Fd, F_ADD_SEALS, seals) != 0)
        {
            throw UnixErrorException.FromLastError("fcntl(F_ADD_SEALS)");
        }
    }

    /// <summary>
    /// Creates a memfd holding <paramref name="content"/> that can be executed and never
    /// changed again: sealed against writes and any change of size, as Linux UML seals its stub.
    /// </summary>
    public static MemFd CreateSealedExecutable(string name, ReadOnlySpan<byte> content)
    {
        MemFd memfd;
        try
        {
            memfd = CreateUnsized(name, MFD_CLOEXEC | MFD_ALLOW_SEALING | Interop.MFD_EXEC, (ulong)content.Length);
        }
        catch (UnixErrorException e) when (e.Errno == Errno.EINVAL)
        {
            // Before Linux 6.3 there is no MFD_EXEC: every memfd may be executed there.
            memfd = CreateUnsized(name, MFD_CLOEXEC | MFD_ALLOW_SEALING, (ulong)content.Length);
        }
        catch (UnixErrorException e) when (e.Errno == Errno.EACCES)
        {
            throw new InvalidOperationException(
                $"Linux refused an executable memfd for {name} (EACCES): vm.memfd_noexec is 2 in this pid namespace, "
                + "and UmlTlb runs its stub programs from sealed memfds only.", e);
        }
        try
        {
            fixed (byte* p = content)
            {
                int done = 0;
                while (done < content.Length)
                {
                    long n = write(memfd.Fd, p + done, content.Length - done);
                    if (n < 0)
                    {
                        throw UnixErrorException.FromLastError($"write({name})");
                    }
                    done += (int)n;
                }
            }
            memfd.AddSeals(F_SEAL_WRITE | SizeSeals);
            return memfd;
        }
        catch
        {
            memfd.Dispose();
            throw;
        }
    }

    private static MemFd CreateUnsized(string name, uint flags, ulong size)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        int fd;
        fixed (byte* p = bytes)
        {
            fd = memfd_create(p, flags);
        }
        if (fd < 0)
        {
            throw UnixErrorException.FromLastError("memfd_create");
        }
        if (fd < Interop.FirstFreeFd)
        {
            // Spawning a stub dup2s its files onto fds 3 and 4: a memfd there would be clobbered first.
            int moved = fcntl(fd, Interop.F_DUPFD_CLOEXEC, Interop.FirstFreeFd);
            var error = moved < 0 ? UnixErrorException.FromLastError("fcntl(F_DUPFD_CLOEXEC)") : null;
            close(fd);
            fd = error is null ? moved : throw error;
        }
        return new MemFd(fd, size);
    }

    protected override bool ReleaseHandle() => close((int)handle) == 0;
}
