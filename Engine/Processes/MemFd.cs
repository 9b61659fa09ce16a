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

    /// <summary>Creates a memfd of <paramref name="size"/> bytes that no spawned program inherits by accident.</summary>
    public static MemFd Create(string name, ulong size)
    {
        var bytes = Encoding.UTF8.GetBytes(name + "\0");
        int fd;
        fixed (byte* p = bytes)
        {
            fd = memfd_create(p, MFD_CLOEXEC);
        }
        if (fd < 0)
        {
            throw UnixErrorException.FromLastError("memfd_create");
        }
        var memfd = new MemFd(fd, size);
        if (ftruncate(fd, (long)size) != 0)
        {
            var error = UnixErrorException.FromLastError("ftruncate");
            memfd.Dispose();
            throw error;
        }
        return memfd;
    }

    protected override bool ReleaseHandle() => close((int)handle) == 0;
}
