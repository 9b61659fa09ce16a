using UmlTlb.Native;

namespace UmlTlb.Views;

/// <summary>Reads another process's memory as that process sees it, with process_vm_readv.</summary>
internal static unsafe class StubMemoryReader
{
    public static byte[] Read(int pid, ulong address, int length)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }
        var buffer = new byte[length];
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < length)
            {
                var local = new Interop.iovec { iov_base = p + done, iov_len = (nuint)(length - done) };
                var remote = new Interop.iovec { iov_base = (void*)(address + (ulong)done), iov_len = (nuint)(length - done) };
                nint n = Interop.process_vm_readv(pid, &local, 1, &remote, 1, 0);
                if (n <= 0)
                {
                    int errno = n < 0 ? System.Runtime.InteropServices.Marshal.GetLastPInvokeError() : Errno.EFAULT;
                    throw new UnmappedMemoryException(address + (ulong)done, errno);
                }
                done += (int)n;
            }
        }
        return buffer;
    }
}

/// <summary>The stub has nothing readable at that address.</summary>
public sealed class UnmappedMemoryException : IOException
{
    public UnmappedMemoryException(ulong address, int errno)
        : base($"The stub has no readable memory at 0x{address:x} ({Errno.Name(errno)}).")
    {
        Address = address;
        HResult = errno;
    }

    public ulong Address { get; }
}
