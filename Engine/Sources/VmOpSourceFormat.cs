namespace UmlTlb.Sources;

/// <summary>How a file of ops is written: rows as Add-VmOp takes them, or a recorded strace.</summary>
public enum VmOpSourceFormat
{
    Csv,
    Strace,
}
