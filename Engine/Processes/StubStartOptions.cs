namespace UmlTlb;

/// <summary>How to start a stub.</summary>
public sealed class StubStartOptions
{
    public const ulong DefaultPhysicalMemorySize = 64UL << 20;

    public string? Name { get; set; }

    public StubArchitecture Architecture { get; set; } = StubArchitecture.x86_64;

    /// <summary>Size of the physical-memory file that mmap ops map, a whole number of pages.</summary>
    public ulong PhysicalMemorySize { get; set; } = DefaultPhysicalMemorySize;

    /// <summary>Pages of shared data area, 1 (as UML) to 256.</summary>
    public int BatchPages { get; set; } = 1;

    public StubAffinity Affinity { get; set; } = StubAffinity.Colocated;

    /// <summary>Where the stub executables are; default: stubs/ beside UmlTlb.Engine.dll.</summary>
    public string? StubDirectory { get; set; }
}
