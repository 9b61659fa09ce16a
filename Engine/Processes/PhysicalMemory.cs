using UmlTlb.Native;
using static Tmds.Linux.LibC;

namespace UmlTlb.Processes;

/// <summary>The stub's physical-memory file (UML's physmem), read and written from the engine's side.</summary>
internal sealed unsafe class PhysicalMemory
{
    private readonly MemFd _memfd;

    public PhysicalMemory(MemFd memfd) => _memfd = memfd;

    public ulong Size => _memfd.Size;

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        CheckRange(offset, (ulong)data.Length);
        fixed (byte* p = data)
        {
            int done = 0;
            while (done < data.Length)
            {
                long n = pwrite(_memfd.Fd, p + done, data.Length - done, (long)offset + done);
                if (n < 0)
                {
                    throw UnixErrorException.FromLastError("pwrite(physical memory)");
                }
                done += (int)n;
            }
        }
    }

    public byte[] Read(ulong offset, int length)
    {
        CheckRange(offset, (ulong)length);
        var buffer = new byte[length];
        fixed (byte* p = buffer)
        {
            int done = 0;
            while (done < length)
            {
                long n = pread(_memfd.Fd, p + done, length - done, (long)offset + done);
                if (n < 0)
                {
                    throw UnixErrorException.FromLastError("pread(physical memory)");
                }
                if (n == 0)
                {
                    // End of file, not an error: errno would be stale. The size is sealed, so this means a bug.
                    throw new IOException($"The physical-memory file ended at 0x{offset + (ulong)done:x}, inside its 0x{Size:x} bytes (reading 0x{length:x} bytes at 0x{offset:x}).");
                }
                done += (int)n;
            }
        }
        return buffer;
    }

    private void CheckRange(ulong offset, ulong length)
    {
        if (offset > Size || length > Size - offset)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset,
                $"0x{offset:x} + 0x{length:x} is beyond the physical-memory file (0x{Size:x} bytes).");
        }
    }
}
