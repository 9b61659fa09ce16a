using UmlTlb.Native;

namespace UmlTlb.Abi;

/// <summary>
/// What differs between the stub architectures: word size, syscall numbers,
/// how mmap takes its offset, and which registers carry a syscall.
/// The per-architecture halves live in StubAbi.X64.cs and StubAbi.I386.cs.
/// </summary>
internal abstract partial class StubAbi
{
    public abstract StubArchitecture Architecture { get; }

    public abstract int WordSize { get; }

    public abstract long MmapNr { get; }

    public abstract long MunmapNr { get; }

    public abstract long MprotectNr { get; }

    public abstract long GetpidNr { get; }

    /// <summary>First address the kernel never gives this kind of process.</summary>
    public abstract ulong TaskSize { get; }

    /// <summary>The stub program's name: its resource in UmlTlb.Engine.dll, and its memfd's name.</summary>
    public string StubFileName => "umltlb-stub-" + Architecture;

    /// <summary>
    /// The largest byte offset mmap's last argument can carry: x86_64 passes a signed
    /// 64-bit off_t, i386's mmap2 a 32-bit count of pages. Beyond it the offset would be cut.
    /// </summary>
    public abstract ulong MaxMmapOffset { get; }

    /// <summary>mmap's last argument for a byte offset into the physical-memory file.</summary>
    public abstract ulong MmapOffsetArgument(ulong byteOffset);

    /// <summary>Points the registers at one syscall, as syscall_stub expects them.</summary>
    public abstract void LoadSyscall(ref Interop.user_regs_struct regs, long nr, ReadOnlySpan<ulong> args);

    /// <summary>
    /// A syscall's return value as a 64-bit number: -4095..-1 stay errnos, anything else
    /// keeps its unsigned value, so that a 32-bit mmap above 2 GiB is an address, not a negative number.
    /// </summary>
    public long ToResult(ulong word)
    {
        if (WordSize == 8)
        {
            return (long)word;
        }
        uint value = (uint)word;
        return value >= unchecked((uint)-4095) ? (int)value : value;
    }

    public static StubAbi For(StubArchitecture architecture) => architecture switch
    {
        StubArchitecture.x86_64 => X64.Instance,
        StubArchitecture.i386 => I386.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "Unknown stub architecture."),
    };
}
