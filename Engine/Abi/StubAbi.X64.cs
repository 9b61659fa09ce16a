using UmlTlb.Native;

namespace UmlTlb.Abi;

internal abstract partial class StubAbi
{
    private sealed class X64 : StubAbi
    {
        public static readonly X64 Instance = new();

        public override StubArchitecture Architecture => StubArchitecture.x86_64;

        public override int WordSize => 8;

        public override long MmapNr => 9;

        public override long MunmapNr => 11;

        public override long MprotectNr => 10;

        public override long GetpidNr => 39;

        public override ulong TaskSize => 0x7ffffffff000;

        public override ulong MaxMmapOffset => long.MaxValue & ~0xfffUL;

        public override ulong MmapOffsetArgument(ulong byteOffset) => byteOffset;

        public override void LoadSyscall(ref Interop.user_regs_struct regs, long nr, ReadOnlySpan<ulong> args)
        {
            regs.rax = (ulong)nr;
            regs.rdi = args[0];
            regs.rsi = args[1];
            regs.rdx = args[2];
            regs.r10 = args[3];
            regs.r8 = args[4];
            regs.r9 = args[5];
        }
    }
}
