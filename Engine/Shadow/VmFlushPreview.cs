namespace UmlTlb;

/// <summary>A host op a dry run expects a flush to run, and what it expects it to return.</summary>
public sealed class PlannedHostOp
{
    public VmOpKind Operation { get; init; }

    public ulong Address { get; init; }

    public ulong Length { get; init; }

    public VmProtection Protection { get; init; }

    public ulong Offset { get; init; }

    /// <summary>How many queued ops it covers.</summary>
    public int MergedCount { get; init; }

    /// <summary>Succeeded, Failed (an mprotect that meets a hole) or Skipped (after an expected failure).</summary>
    public VmOpStatus ExpectedStatus { get; init; }

    /// <summary>ENOMEM for an expected failure, empty otherwise.</summary>
    public string ExpectedErrno { get; init; } = string.Empty;

    public ulong End => Address + Length;

    public override string ToString() =>
        new VmOp { Operation = Operation, Address = Address, Length = Length, Protection = Protection, Offset = Offset }.ToString() + (ExpectedStatus == VmOpStatus.Succeeded ? string.Empty : $": {ExpectedStatus}{(ExpectedErrno.Length > 0 ? " " + ExpectedErrno : "")}");
}

/// <summary>
/// A dry run of a flush, computed from the shadow alone: the host ops it would run, and how the
/// stub's user range would change. Nothing ran: no round trip, the queue and the shadow as they were.
/// </summary>
public sealed class VmFlushPreview
{
    public required StubProcess Stub { get; init; }

    public required IReadOnlyList<PlannedHostOp> HostOperations { get; init; }

    /// <summary>The change to the shadow, Before: now, After: once the flush ran as expected.</summary>
    public required IReadOnlyList<MappingChange> Changes { get; init; }

    /// <summary>Ranges that would be mapped where nothing is.</summary>
    public int Mapped => Changes.Count(c => c.Change == MappingChangeKind.Mapped);

    public int Unmapped => Changes.Count(c => c.Change == MappingChangeKind.Unmapped);

    public int ProtectionChanged => Changes.Count(c => c.Change == MappingChangeKind.ProtectionChanged);

    /// <summary>Ranges that would show other pages of the file.</summary>
    public int Remapped => Changes.Count(c => c.Change == MappingChangeKind.Remapped);

    public int ExpectedFailures => HostOperations.Count(o => o.ExpectedStatus == VmOpStatus.Failed);

    public override string ToString() =>
        $"{HostOperations.Count} host ops on {Stub.Name}: {Mapped} ranges mapped, {Unmapped} unmapped, {ProtectionChanged} protection changed, {Remapped} remapped" +
        (ExpectedFailures > 0 ? $", {ExpectedFailures} expected to fail" : string.Empty);
}
