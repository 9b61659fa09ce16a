using UmlTlb.Native;

namespace UmlTlb.Abi;

internal abstract partial class StubAbi
{
    /// <summary>A 32-bit stub, seen by this 64-bit tracer through the 64-bit register set.</summary>
    private sealed class I386 : StubAbi
    {
        public static readonly I386 Instance = new();

        public override StubArchitecture Architecture => StubArchitecture.i386;

        public override int WordSize => 4;

        /// <summary>mmap2: its offset counts pages, as UML's STUB_MMAP_NR on i386.</summary>
        public override long MmapNr => 192;

        public override long MunmapNr => 91;

        public override long MprotectNr => 125;

        public override long GetpidNr => 20;

        public override ulong TaskSize => 0xffffe000;

        public override ulong MaxMmapOffset => (ulong)uint.MaxValue << 12;

        // The validator refuses larger offsets; a cut offset here would map the wrong pages.
        public override ulong MmapOffsetArgument(ulong byteOffset) =>
            byteOffset <= MaxMmapOffset ? byteOffset >> 12 : throw new ArgumentOutOfRangeException(nameof(byteOffset), byteOffset, "mmap2 carries at most 2^32 - 1 pages of offset.");

        public override void LoadSyscall(ref Interop.user_regs_struct regs, long nr, ReadOnlySpan<ulong> args)
        {
            regs.rax = (uint)nr;
            regs.rbx = (uint)args[0];
            regs.rcx = (uint)args[1];
            regs.rdx = (uint)args[2];
            regs.rsi = (uint)args[3];
            regs.rdi = (uint)args[4];
            regs.rbp = (uint)args[5];
        }
    }
}
