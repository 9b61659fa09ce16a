using System.Buffers.Binary;
using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using UmlTlb.Abi;

namespace UmlTlb.Tests;

/// <summary>
/// The engine's side of the stub ABI against the stub's side: Engine/Abi against the
/// #defines of Stubs/layout.h and Stubs/&lt;arch&gt;/stub.S, and the built stub executable.
/// </summary>
public abstract partial class AbiTests : StubTestBase
{
    protected AbiTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : AbiTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : AbiTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : AbiTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : AbiTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    /// <summary>layout.h names whose StubDataLayout constant is not the PascalCase of what follows DATA_.</summary>
    private static readonly Dictionary<string, string> SpecialNames = new()
    {
        ["PAGE_SIZE"] = nameof(StubDataLayout.PageSize),
        ["DATA_FD"] = nameof(StubDataLayout.DataFd),
        ["PHYSMEM_FD"] = nameof(StubDataLayout.PhysicalMemoryFd),
        ["DATA_FLAG_CONTINUE"] = nameof(StubDataLayout.FlagContinue),
    };

    /// <summary>Every data-area word index of layout.h (DATA_RESULT → Result) plus the special names.</summary>
    private static Dictionary<string, string> LayoutNames(Dictionary<string, string> defines)
    {
        var names = new Dictionary<string, string>(SpecialNames);
        foreach (var define in defines.Keys.Where(d => d.StartsWith("DATA_", StringComparison.Ordinal) && !SpecialNames.ContainsKey(d)))
        {
            names[define] = string.Concat(define["DATA_".Length..].Split('_').Select(w => w[..1] + w[1..].ToLowerInvariant()));
        }
        return names;
    }

    /// <summary>Constants of StubDataLayout that layout.h does not hold; checked elsewhere here.</summary>
    private static readonly string[] EngineOnly = [nameof(StubDataLayout.TupleWords), nameof(StubDataLayout.MaxBatchPages)];

    [GeneratedRegex(@"^[ \t]*#[ \t]*define[ \t]+(\w+)[ \t]+(.+?)[ \t]*(/\*.*)?$", RegexOptions.Multiline)]
    private static partial Regex DefineLine();

    private static Dictionary<string, string> Defines(string path) =>
        DefineLine().Matches(File.ReadAllText(path)).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    private static long Number(string text) =>
        text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.Parse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : long.Parse(text, CultureInfo.InvariantCulture);

    private string LayoutHeader => Path.Combine(Fixture.RepoRoot, "Stubs", "layout.h");

    private string StubSource => Path.Combine(Fixture.RepoRoot, "Stubs", Architecture.ToString(), "stub.S");

    private static long ConstantValue(string name) =>
        Convert.ToInt64(typeof(StubDataLayout).GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetRawConstantValue(), CultureInfo.InvariantCulture);

    [SkippableFact]
    public void DataLayoutMatchesLayoutH()
    {
        var defines = Defines(LayoutHeader);
        var names = LayoutNames(defines);
        var constants = typeof(StubDataLayout).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).Select(f => f.Name).ToHashSet();

        foreach (var (define, constant) in names)
        {
            Assert.True(defines.ContainsKey(define), $"layout.h lacks {define}");
            Assert.True(constants.Contains(constant), $"layout.h has {define}, StubDataLayout has no {constant}");
            Assert.True(Number(defines[define]) == ConstantValue(constant), $"{define} is {defines[define]} in layout.h, StubDataLayout.{constant} is {ConstantValue(constant)}");
        }
        // Every constant of the engine's layout is checked against something.
        Assert.Empty(constants.Except(names.Values).Except(EngineOnly));
        // Word indexes are distinct and the tuples come last.
        var words = names.Where(n => n.Key.StartsWith("DATA_", StringComparison.Ordinal) && !SpecialNames.ContainsKey(n.Key)).Select(n => ConstantValue(n.Value)).ToList();
        Assert.Equal(words.Count, words.Distinct().Count());
        Assert.Equal(words.Max(), ConstantValue(nameof(StubDataLayout.Tuples)));
    }

    [SkippableFact]
    public void ExitCodesMatchLayoutH()
    {
        var exits = Defines(LayoutHeader).Where(d => d.Key.StartsWith("EXIT_", StringComparison.Ordinal)).ToDictionary(d => (int)Number(d.Value), d => d.Key);

        Assert.NotEmpty(exits);
        for (int code = 0; code < 256; code++)
        {
            bool described = StubDataLayout.DescribeExitCode(code) != $"exit code {code}";
            if (described != exits.TryGetValue(code, out var name))
            {
                Assert.Fail(described ? $"the engine describes exit code {code}, layout.h has no EXIT_ for it" : $"{name} ({code}) has no description in the engine");
            }
        }
    }

    [SkippableFact]
    public void ArchitectureMatchesItsStubSource()
    {
        var abi = StubAbi.For(Architecture);
        var defines = Defines(StubSource);

        Assert.Equal(abi.WordSize, Number(defines["WORD"]));
        Assert.Equal($"({StubDataLayout.TupleWords} * WORD)", defines["TUPLE_BYTES"]);
        Assert.Equal(abi.TaskSize, (ulong)Number(defines["TASK_SIZE"]));
        Assert.Equal(abi.MunmapNr, Number(defines["NR_munmap"]));
        Assert.Equal(abi.GetpidNr, Number(defines["NR_getpid"]));
        Assert.Equal(abi.MmapNr, Number(defines.GetValueOrDefault("NR_mmap2") ?? defines["NR_mmap"]));
        Assert.Equal(Architecture.ToString(), abi.StubFileName["umltlb-stub-".Length..]);
    }

    [SkippableFact]
    public void BuiltStubIsOneStaticCodePageWithANonExecutableStack()
    {
        var elf = UmlTlb.Processes.StubExecutable.Image(StubAbi.For(Architecture));
        bool is64 = Architecture == StubArchitecture.x86_64;

        Assert.Equal("\x7f" + "ELF", System.Text.Encoding.ASCII.GetString(elf, 0, 4));
        Assert.Equal(is64 ? 2 : 1, elf[4]); // EI_CLASS
        Assert.Equal(2, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(16))); // ET_EXEC
        Assert.Equal(is64 ? 62 : 3, BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(18))); // EM_X86_64 / EM_386

        ulong phoff = is64 ? BinaryPrimitives.ReadUInt64LittleEndian(elf.AsSpan(32)) : BinaryPrimitives.ReadUInt32LittleEndian(elf.AsSpan(28));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(is64 ? 54 : 42));
        int phnum = BinaryPrimitives.ReadUInt16LittleEndian(elf.AsSpan(is64 ? 56 : 44));
        var headers = new List<(uint Type, uint Flags, ulong VAddr, ulong MemSize)>();
        for (int i = 0; i < phnum; i++)
        {
            var ph = elf.AsSpan((int)phoff + i * phentsize);
            headers.Add(is64
                ? (BinaryPrimitives.ReadUInt32LittleEndian(ph), BinaryPrimitives.ReadUInt32LittleEndian(ph[4..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]), BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]))
                : (BinaryPrimitives.ReadUInt32LittleEndian(ph), BinaryPrimitives.ReadUInt32LittleEndian(ph[24..]), BinaryPrimitives.ReadUInt32LittleEndian(ph[8..]), BinaryPrimitives.ReadUInt32LittleEndian(ph[20..])));
        }

        const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3, PtGnuStack = 0x6474e551, PfX = 1;
        Assert.DoesNotContain(headers, h => h.Type is PtDynamic or PtInterp);
        var stack = Assert.Single(headers, h => h.Type == PtGnuStack);
        // Without it an i386 stub gets READ_IMPLIES_EXEC and every PROT_READ mapping turns r-x.
        Assert.Equal(0u, stack.Flags & PfX);
        var load = Assert.Single(headers, h => h.Type == PtLoad);
        Assert.InRange(load.MemSize, 1UL, Page);

        var stub = Start();
        Assert.Equal(load.VAddr & ~(Page - 1), stub.StubCodeAddress);
    }
}
