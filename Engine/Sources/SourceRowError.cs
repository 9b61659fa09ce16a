namespace UmlTlb.Sources;

/// <summary>
/// A row of a file that did not become an op: where it stands, which field, the value
/// as written, and the reason in the same words Add-VmOp uses for the same mistake.
/// <see cref="Reason"/> is a <see cref="VmOpRejectionReason"/> name where the stub refused the op,
/// else NotANumber, VmOpFieldMissing (a blank Address or Length, or a blank Mmap Offset, as Add-VmOp), MissingField (a header without a needed column) or UnknownProcessId.
/// </summary>
public sealed record SourceRowError(string Path, long Line, string Field, string Value, string Reason, string ReasonMessage)
{
    public string Message => Line > 0
        ? $"{Path}, line {Line}, {Field} '{Value}': {ReasonMessage}"
        : $"{Path}, {Field} '{Value}': {ReasonMessage}";

    public override string ToString() => Message;
}
