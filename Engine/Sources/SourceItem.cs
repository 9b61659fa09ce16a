namespace UmlTlb.Sources;

internal enum SourceItemKind
{
    /// <summary>An op to validate and queue.</summary>
    Op,

    /// <summary>A row that is not an op: <see cref="SourceItem.Field"/>, <see cref="SourceItem.Value"/> and <see cref="SourceItem.Message"/> say why.</summary>
    BadRow,

    /// <summary>A recorded call that is deliberately not replayed: <see cref="SourceItem.Message"/> says why.</summary>
    LeftOut,
}

/// <summary>One thing a source read: an op, a bad row or a left-out call, with the line it stands on.</summary>
internal struct SourceItem
{
    public SourceItemKind Kind;
    public long Line;
    public VmOpKind Operation;
    public ulong Address;
    public ulong Length;
    public VmProtection Protection;
    public ulong Offset;
    public string? Reason;
    public string? Field;
    public string? Value;
    public string? Message;

    public static SourceItem Op(long line, VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset) => new()
    {
        Kind = SourceItemKind.Op, Line = line, Operation = kind, Address = address, Length = length, Protection = protection, Offset = offset,
    };

    public static SourceItem Bad(long line, string reason, string field, string value, string message) => new()
    {
        Kind = SourceItemKind.BadRow, Line = line, Reason = reason, Field = field, Value = value, Message = message,
    };

    public static SourceItem Left(long line, string why) => new() { Kind = SourceItemKind.LeftOut, Line = line, Message = why };
}
