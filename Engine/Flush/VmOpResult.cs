namespace UmlTlb;

public enum VmOpStatus
{
    Succeeded,
    Failed,
    Skipped,

    /// <summary>Ran, and was undone because a later op of its atomic flush failed.</summary>
    RolledBack,
}

/// <summary>Which stub entry ran a host op; None for one that was skipped.</summary>
public enum VmFlushPath
{
    None,
    Single,
    Batch,
}

/// <summary>The outcome of one host op of a flush.</summary>
public sealed class VmOpResult
{
    public required StubProcess Stub { get; init; }

    /// <summary>The host op's sequence number in its stub, as <see cref="VmOp.HostOp"/> names it.</summary>
    public long Sequence { get; init; }

    public VmOpKind Operation { get; init; }

    public ulong Address { get; init; }

    public ulong Length { get; init; }

    public VmProtection Protection { get; init; }

    public ulong Offset { get; init; }

    /// <summary>How many queued ops this host op covers.</summary>
    public int MergedCount { get; init; }

    /// <summary>Set again only when an atomic flush rolls the op back.</summary>
    public VmOpStatus Status { get; internal set; }

    /// <summary>The syscall's raw return value, sign-extended: -12 is ENOMEM. 0 when skipped.</summary>
    public long Result { get; init; }

    /// <summary>The errno's name when it failed, empty otherwise.</summary>
    public string Errno { get; init; } = string.Empty;

    /// <summary>The stub's batch number that ran it (its Batches counter), 0 on the single path.</summary>
    public long Batch { get; init; }

    public VmFlushPath Path { get; init; }

    /// <summary>The file its first op was read from, when Invoke-VmFlush read a file; null otherwise.</summary>
    public string? Source { get; internal set; }

    /// <summary>The line of <see cref="Source"/> where its first op stands; 0 without a file.</summary>
    public long Line { get; internal set; }

    public ulong End => Address + Length;

    public override string ToString() =>
        $"#{Sequence} {Operation} 0x{Address:x}+0x{Length:x}: {Status}{(Errno.Length > 0 ? " " + Errno : string.Empty)}";
}
