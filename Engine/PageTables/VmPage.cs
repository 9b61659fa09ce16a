namespace UmlTlb;

/// <summary>One entry of a <see cref="VmPageTable"/>, as it is at the moment it was read.</summary>
public sealed class VmPage
{
    public ulong Address { get; init; }

    public ulong Offset { get; init; }

    public VmProtection Protection { get; init; }

    /// <summary>What the host still lacks of this entry; None when it is in sync.</summary>
    public PageChange Change { get; init; }

    /// <summary>False for an entry that was unmapped and not yet synced.</summary>
    public bool Present => (Change & PageChange.Removed) == 0;

    public override string ToString() =>
        $"0x{Address:x} {(Present ? VmProtectionParser.ToMapsString(Protection) + $" @0x{Offset:x}" : "removed")} {Change}";
}
