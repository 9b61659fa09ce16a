namespace UmlTlb;

/// <summary>One line of /proc/pid/maps.</summary>
public sealed class MemoryMapping
{
    public ulong Start { get; init; }

    public ulong End { get; init; }

    public ulong Length => End - Start;

    public VmProtection Protection { get; init; }

    /// <summary>MAP_SHARED ('s') rather than private ('p').</summary>
    public bool Shared { get; init; }

    public ulong Offset { get; init; }

    /// <summary>The file or pseudo-name ([vdso], /memfd:umltlb-physmem-1 (deleted)), empty for anonymous memory.</summary>
    public string Path { get; init; } = string.Empty;

    /// <summary>The permission column as the kernel wrote it: 'rw-s'.</summary>
    public string Permissions => VmProtectionParser.ToMapsString(Protection) + (Shared ? "s" : "p");

    public override string ToString() => $"{Start:x}-{End:x} {Permissions} {Offset:x8} {Path}";
}
