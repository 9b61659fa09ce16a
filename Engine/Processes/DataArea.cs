using UmlTlb.Abi;
using UmlTlb.Native;
using static Tmds.Linux.LibC;

namespace UmlTlb.Processes;

/// <summary>
/// The engine's own mapping of the stub's data area: ops go in and results come
/// out with plain memory accesses, in the stub's word size.
/// </summary>
internal sealed unsafe class DataArea : IDisposable
{
    private byte* _base;

    public DataArea(MemFd memfd, int wordSize)
    {
        void* p = mmap(null, (Tmds.Linux.size_t)memfd.Size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd.Fd, 0);
        if (p == MAP_FAILED)
        {
            throw UnixErrorException.FromLastError("mmap(data area)");
        }
        _base = (byte*)p;
        Size = (int)memfd.Size;
        WordSize = wordSize;
        Capacity = StubDataLayout.Capacity(Size, wordSize);
    }

    public int Size { get; }

    public int WordSize { get; }

    /// <summary>How many tuples one run of the batch stub can take.</summary>
    public int Capacity { get; }

    public ulong this[int word]
    {
        get => WordSize == 8 ? Volatile.Read(ref ((ulong*)_base)[word]) : Volatile.Read(ref ((uint*)_base)[word]);
        set
        {
            if (WordSize == 8)
            {
                Volatile.Write(ref ((ulong*)_base)[word], value);
            }
            else
            {
                Volatile.Write(ref ((uint*)_base)[word], (uint)value);
            }
        }
    }

    public static int TupleWord(int tuple) => StubDataLayout.Tuples + tuple * StubDataLayout.TupleWords;

    /// <summary>Writes tuple <paramref name="tuple"/> as [nr, a1..a6].</summary>
    public void WriteTuple(int tuple, long nr, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5, ulong a6)
    {
        int w = TupleWord(tuple);
        if (WordSize == 8)
        {
            ulong* t = (ulong*)_base + w;
            t[0] = (ulong)nr; t[1] = a1; t[2] = a2; t[3] = a3; t[4] = a4; t[5] = a5; t[6] = a6;
        }
        else
        {
            uint* t = (uint*)_base + w;
            t[0] = (uint)nr; t[1] = (uint)a1; t[2] = (uint)a2; t[3] = (uint)a3; t[4] = (uint)a4; t[5] = (uint)a5; t[6] = (uint)a6;
        }
    }

    /// <summary>Ends the batch after <paramref name="count"/> tuples.</summary>
    public void Terminate(int count)
    {
        this[TupleWord(count)] = 0;
        TupleCount = count;
    }

    /// <summary>How many tuples the last <see cref="Terminate"/> ended the batch after.</summary>
    public int TupleCount { get; private set; }

    /// <summary>
    /// The 32-bit futex in the low half of <paramref name="word"/> (x86 is little-endian, so on x86_64
    /// that is where the stub's 32-bit accesses land too).
    /// </summary>
    public int* FutexWord(int word) => (int*)(_base + word * WordSize);

    /// <summary>What the stub stored in an executed tuple's nr slot: that syscall's return value.</summary>
    public ulong TupleResult(int tuple) => this[TupleWord(tuple)];

    public void Dispose()
    {
        if (_base != null)
        {
            munmap(_base, Size);
            _base = null;
        }
    }
}
