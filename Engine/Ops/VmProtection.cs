namespace UmlTlb;

/// <summary>Page protection, with the values of PROT_READ, PROT_WRITE and PROT_EXEC.</summary>
[Flags]
public enum VmProtection
{
    None = 0,
    Read = 1,
    Write = 2,
    Execute = 4,
}
