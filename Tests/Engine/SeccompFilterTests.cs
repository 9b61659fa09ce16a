using System.Buffers.Binary;
using UmlTlb.Abi;
using UmlTlb.Processes;

namespace UmlTlb.Tests;

/// <summary>
/// The seccomp program inside each built stub, run by a small classic-BPF evaluator over
/// made-up struct seccomp_data. ConfinementTests checks the x86_64 filter on the real
/// kernel; this checks the same verdicts for both filters without running a stub, so the
/// i386 filter (AUDIT_ARCH_I386, 32-bit numbers, low argument halves) is checked even on a
/// kernel that cannot execute 32-bit programs. It reads only the built image: no kernel is modelled.
/// </summary>
public abstract class SeccompFilterTests : StubTestBase
{
    private const uint Allow = 0x7fff0000, KillProcess = 0x80000000;
    private const uint AuditArchX64 = 0xc000003e, AuditArchI386 = 0x40000003;

    protected SeccompFilterTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture)
        : base(fixture, output, architecture)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : SeccompFilterTests(fixture, output, StubArchitecture.x86_64)
    {
        [Fact]
        public void AnUpperHalfBitInAnArgumentIsKilled()
        {
            foreach (int argument in new[] { 2, 3, 4 })
            {
                var args = MmapArgs();
                args[argument] |= 1UL << 32;
                Assert.Equal(KillProcess, Verdict(Abi.MmapNr, args));
            }
        }
    }

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : SeccompFilterTests(fixture, output, StubArchitecture.i386)
    {
        /// <summary>A 32-bit syscall only ever sees the low halves of its argument registers.</summary>
        [Fact]
        public void UpperHalvesOfArgumentsAreNotLookedAt()
        {
            var args = MmapArgs();
            args[3] |= 1UL << 32;
            Assert.Equal(Allow, Verdict(Abi.MmapNr, args));
        }
    }

    private bool Is64 => Architecture == StubArchitecture.x86_64;

    private uint OwnArch => Is64 ? AuditArchX64 : AuditArchI386;

    private byte[] Image => StubExecutable.Image(StubAbi.For(Architecture));

    /// <summary>stub_start, the ELF entry point: the first byte of the code page.</summary>
    private ulong CodePage => Is64 ? BinaryPrimitives.ReadUInt64LittleEndian(Image.AsSpan(24)) : BinaryPrimitives.ReadUInt32LittleEndian(Image.AsSpan(24));

    private ulong[] MmapArgs() => [At(0), Page, 7, 0x11, 4, 0];

    [Theory]
    [InlineData("mmap of the physical-memory file, rwx", true)]
    [InlineData("mmap MAP_PRIVATE", false)]
    [InlineData("mmap MAP_SHARED|MAP_FIXED|MAP_ANONYMOUS", false)]
    [InlineData("mmap of fd 3", false)]
    [InlineData("mmap with PROT_SEM", false)]
    [InlineData("mprotect r-x", true)]
    [InlineData("mprotect with PROT_GROWSDOWN", false)]
    [InlineData("munmap", true)]
    [InlineData("exit", true)]
    [InlineData("exit_group", true)]
    [InlineData("getpid", false)]
    [InlineData("open", false)]
    [InlineData("rt_sigreturn", false)]
    [InlineData("the other architecture's mmap number", false)]
    public void FilterAllowsOnlyTheOpsSyscalls(string call, bool allowed)
    {
        (long nr, ulong[] args) = call switch
        {
            "mmap of the physical-memory file, rwx" => (Abi.MmapNr, MmapArgs()),
            "mmap MAP_PRIVATE" => (Abi.MmapNr, With(MmapArgs(), 3, 0x12)),
            "mmap MAP_SHARED|MAP_FIXED|MAP_ANONYMOUS" => (Abi.MmapNr, With(MmapArgs(), 3, 0x31)),
            "mmap of fd 3" => (Abi.MmapNr, With(MmapArgs(), 4, 3)),
            "mmap with PROT_SEM" => (Abi.MmapNr, With(MmapArgs(), 2, 1 | 8)),
            "mprotect r-x" => (Abi.MprotectNr, new ulong[] { At(0), Page, 5, 0, 0, 0 }),
            "mprotect with PROT_GROWSDOWN" => (Abi.MprotectNr, new ulong[] { At(0), Page, 0x01000001, 0, 0, 0 }),
            "munmap" => (Abi.MunmapNr, new ulong[] { At(0), Page, 0, 0, 0, 0 }),
            "exit" => (Is64 ? 60 : 1, new ulong[6]),
            "exit_group" => (Is64 ? 231 : 252, new ulong[6]),
            "getpid" => (GetpidNr, new ulong[6]),
            "open" => (Is64 ? 2 : 5, new ulong[6]),
            "rt_sigreturn" => (Is64 ? 15 : 173, new ulong[6]),
            "the other architecture's mmap number" => (Is64 ? 192 : 9, MmapArgs()),
            _ => throw new ArgumentOutOfRangeException(nameof(call)),
        };

        Assert.Equal(allowed ? Allow : KillProcess, Verdict(nr, args));
    }

    [Theory]
    [InlineData(0x10UL, true)]
    [InlineData(0xffeUL, true)]
    [InlineData(0x1000UL, false)] // the data page
    [InlineData(0x1_0000_0010UL, false)] // same low half, another upper half
    [InlineData(unchecked((ulong)-0x10L), false)] // just below the code page
    public void SyscallsComeFromTheCodePageOnly(ulong offsetFromCode, bool allowed)
    {
        ulong ip = unchecked(CodePage + offsetFromCode);

        Assert.Equal(allowed ? Allow : KillProcess, Verdict(Abi.MunmapNr, [At(0), Page, 0, 0, 0, 0], ip: ip));
    }

    [Fact]
    public void AnotherArchitectureIsKilledWhateverTheCall()
    {
        uint other = Is64 ? AuditArchI386 : AuditArchX64;

        Assert.Equal(Allow, Verdict(Abi.MunmapNr, [At(0), Page, 0, 0, 0, 0]));
        Assert.Equal(KillProcess, Verdict(Abi.MunmapNr, [At(0), Page, 0, 0, 0, 0], arch: other));
    }

    private static ulong[] With(ulong[] args, int index, ulong value)
    {
        args[index] = value;
        return args;
    }

    /// <summary>What the stub's filter returns for one syscall (from the code page, of its own architecture by default).</summary>
    private uint Verdict(long nr, ulong[] args, ulong? ip = null, uint? arch = null)
    {
        var data = new byte[64];
        BinaryPrimitives.WriteInt32LittleEndian(data, (int)nr);
        BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(4), arch ?? OwnArch);
        BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(8), ip ?? CodePage + 0x40);
        for (int i = 0; i < 6; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(data.AsSpan(16 + 8 * i), args[i]);
        }
        return Run(Filter(), data);
    }

    /// <summary>The filter's instructions: it opens with "load arch; jeq own arch".</summary>
    private ReadOnlySpan<byte> Filter()
    {
        var image = Image;
        Span<byte> opening = stackalloc byte[16];
        opening[0] = 0x20; // ld [4]
        opening[4] = 4;
        opening[8] = 0x15; // jeq #arch, jt 0 (jf: to the kill, wherever it is)
        for (int at = 0; at + 16 <= image.Length; at += 8)
        {
            var here = image.AsSpan(at, 16);
            if (here[..11].SequenceEqual(opening[..11]) && BinaryPrimitives.ReadUInt32LittleEndian(here[12..]) == OwnArch)
            {
                return image.AsSpan(at);
            }
        }
        throw new InvalidDataException($"no seccomp filter found in the {Architecture} stub image");
    }

    /// <summary>Classic BPF, the few instructions a seccomp filter of the stub uses; jumps go forward only.</summary>
    private static uint Run(ReadOnlySpan<byte> program, ReadOnlySpan<byte> data)
    {
        uint a = 0;
        int pc = 0;
        while ((pc + 1) * 8 <= program.Length)
        {
            var insn = program.Slice(pc * 8, 8);
            ushort code = BinaryPrimitives.ReadUInt16LittleEndian(insn);
            byte jt = insn[2], jf = insn[3];
            uint k = BinaryPrimitives.ReadUInt32LittleEndian(insn[4..]);
            switch (code)
            {
                case 0x20: // BPF_LD | BPF_W | BPF_ABS
                    a = BinaryPrimitives.ReadUInt32LittleEndian(data[(int)k..]);
                    pc++;
                    break;
                case 0x54: // BPF_ALU | BPF_AND | BPF_K
                    a &= k;
                    pc++;
                    break;
                case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
                    pc += 1 + (a == k ? jt : jf);
                    break;
                case 0x45: // BPF_JMP | BPF_JSET | BPF_K
                    pc += 1 + ((a & k) != 0 ? jt : jf);
                    break;
                case 0x06: // BPF_RET | BPF_K
                    return k;
                default:
                    throw new InvalidDataException($"BPF instruction 0x{code:x4} at {pc} is not one this evaluator knows");
            }
        }
        throw new InvalidDataException("the filter ran off its end");
    }
}
