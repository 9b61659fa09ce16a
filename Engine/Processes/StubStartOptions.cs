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

    /// <summary>
    /// How round trips reach the stub: a futex doorbell in the data area (default: several times faster on
    /// the single path, see the README's benchmark), or a ptrace stop per round trip.
    /// </summary>
    public StubTransport Transport { get; set; } = StubTransport.Doorbell;

    /// <summary>
    /// A folder holding a stand-in stub program (umltlb-stub-&lt;arch&gt;), for tests; by default
    /// (null) the stub built into UmlTlb.Engine.dll runs, from a sealed memfd.
    /// </summary>
    public string? StubDirectory { get; set; }
}
