namespace UmlTlb;

/// <summary>One address-space operation as a user asked for it, and where it went in the queue.</summary>
public sealed class VmOp
{
    public VmOpKind Operation { get; set; }

    public ulong Address { get; set; }

    public ulong Length { get; set; }

    /// <summary>For Mmap and Mprotect; Munmap ignores it.</summary>
    public VmProtection Protection { get; set; }

    /// <summary>Offset into the stub's physical-memory file, for Mmap.</summary>
    public ulong Offset { get; set; }

    /// <summary>The stub whose queue holds it; null until queued.</summary>
    public StubProcess? Stub { get; internal set; }

    /// <summary>Who queued it (the pipeline of the Add-VmOp that queued it): its outcome goes there. Null until queued.</summary>
    public VmOpOwner? Owner { get; internal set; }

    /// <summary>Sequence number of the host op it ended up in (0 until queued).</summary>
    public long HostOp { get; internal set; }

    /// <summary>True when it was merged into the host op queued before it.</summary>
    public bool Coalesced { get; internal set; }

    public ulong End => Address + Length;

    public override string ToString() => Operation switch
    {
        VmOpKind.Mmap => $"mmap(0x{Address:x}, 0x{Length:x}, {VmProtectionParser.ToMapsString(Protection)}, offset 0x{Offset:x})",
        VmOpKind.Mprotect => $"mprotect(0x{Address:x}, 0x{Length:x}, {VmProtectionParser.ToMapsString(Protection)})",
        _ => $"munmap(0x{Address:x}, 0x{Length:x})",
    };
}
