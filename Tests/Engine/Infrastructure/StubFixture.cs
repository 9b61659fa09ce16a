namespace UmlTlb.Tests.Infrastructure;

/// <summary>
/// Shared by every test class: the repository root (for the ABI test) and a
/// last-resort cleanup that stops any stub a failed test left running.
/// </summary>
public sealed class StubFixture : IDisposable
{
    public StubFixture()
    {
        RepoRoot = FindRepoRoot();
    }

    /// <summary>The directory that holds Stubs/layout.h, found by walking up from the test assembly.</summary>
    public string RepoRoot { get; }

    public static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Stubs", "layout.h")))
            {
                return dir.FullName;
            }
        }
        throw new DirectoryNotFoundException($"No Stubs/layout.h above {AppContext.BaseDirectory}.");
    }

    public void Dispose()
    {
        foreach (var stub in StubRegistry.All)
        {
            stub.Stop();
        }
    }
}

/// <summary>
/// Base of every area's tests: the architecture and transport under test (set by the X64,
/// I386, X64Doorbell and I386Doorbell subclasses), the ops window, and stubs that are
/// stopped when the test ends.
/// </summary>
public abstract class StubTestBase : IClassFixture<StubFixture>, IDisposable
{
    public const ulong Page = AddressSpaceModel.PageSize;

    private readonly List<StubProcess> _stubs = new();

    protected StubTestBase(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
    {
        Fixture = fixture;
        Output = output;
        Architecture = architecture;
        Transport = transport;
    }

    protected StubFixture Fixture { get; }

    protected ITestOutputHelper Output { get; }

    protected StubArchitecture Architecture { get; }

    protected StubTransport Transport { get; }

    /// <summary>
    /// Where tests put their ops: high in the 64-bit space (addresses that do not fit
    /// 32 bits must survive the trip), above 2 GiB in the 32-bit one (results must stay unsigned).
    /// </summary>
    protected ulong WindowBase => Architecture == StubArchitecture.x86_64 ? 0x7f0000000000UL : 0xc0000000UL;

    protected ulong At(int page) => WindowBase + (ulong)page * Page;

    protected static ulong Pages(int n) => (ulong)n * Page;

    protected long GetpidNr => Architecture == StubArchitecture.x86_64 ? 39 : 20;

    /// <summary>The architecture's syscall numbers as the engine has them (AbiTests checks them against stub.S).</summary>
    internal Abi.StubAbi Abi => UmlTlb.Abi.StubAbi.For(Architecture);

    /// <summary>What munmap of zero bytes returns: the kernel refuses it with EINVAL.</summary>
    protected const long EINVAL = -22;

    /// <summary>
    /// Runs through syscall_stub a syscall that the stub's filter lets through and that
    /// changes nothing: munmap of zero bytes. Returns <see cref="EINVAL"/> while the stub
    /// runs syscalls (the stub, not the engine, writes that result).
    /// </summary>
    protected static long Ping(StubProcess stub) => stub.RunSingleSyscall(stub.Abi.MunmapNr, 0x10000, 0);

    protected StubProcess Start(int batchPages = 1, ulong physicalPages = 128, StubAffinity affinity = StubAffinity.Colocated)
    {
        SkipUnlessSupported();
        var stub = StubProcess.Start(new StubStartOptions
        {
            Architecture = Architecture,
            BatchPages = batchPages,
            PhysicalMemorySize = physicalPages * Page,
            Affinity = affinity,
            Transport = Transport,
        });
        _stubs.Add(stub);
        return stub;
    }

    /// <summary>Skips the test when this kernel cannot run stubs of the architecture under test.</summary>
    protected void SkipUnlessSupported() => ArchitectureSupport.SkipUnlessSupported(Architecture);

    /// <summary>Enqueues, flushes in one go, and returns every host op's result.</summary>
    protected static (List<VmOpResult> Results, VmFlushSummary Summary) Flush(StubProcess stub, bool continueOnError = false)
    {
        var results = new List<VmOpResult>();
        var summary = stub.BeginFlush(continueOnError).Complete(results.Add);
        return (results, summary);
    }

    public void Dispose()
    {
        foreach (var stub in _stubs)
        {
            stub.Stop();
        }
        GC.SuppressFinalize(this);
    }
}
