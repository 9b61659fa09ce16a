namespace UmlTlb;

/// <summary>How a range differs between two views of an address space.</summary>
public enum MappingChangeKind
{
    /// <summary>Unmapped before, mapped after.</summary>
    Mapped,

    /// <summary>Mapped before, unmapped after.</summary>
    Unmapped,

    /// <summary>The same pages of the same file, with another protection.</summary>
    ProtectionChanged,

    /// <summary>Mapped on both sides, but from another file or offset (the protection may differ too).</summary>
    Remapped,
}

/// <summary>
/// One range in which two views of an address space differ (two Get-StubMapping snapshots,
/// the shadow and /proc/pid/maps, or the shadow before and after a flush), and how.
/// </summary>
public sealed class MappingChange
{
    public ulong Start { get; init; }

    public ulong End { get; init; }

    public ulong Length => End - Start;

    public MappingChangeKind Change { get; init; }

    /// <summary>What the first view has in [Start, End); null where it has nothing.</summary>
    public MemoryMapping? Before { get; init; }

    /// <summary>What the second view has in [Start, End); null where it has nothing.</summary>
    public MemoryMapping? After { get; init; }

    public override string ToString() =>
        $"{Start:x}-{End:x} {Change}: {Describe(Before)} -> {Describe(After)}";

    private static string Describe(MemoryMapping? m) => m is null ? "unmapped" : $"{m.Permissions} @{m.Offset:x}";
}
