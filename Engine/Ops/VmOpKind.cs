namespace UmlTlb;

/// <summary>The address-space operations a stub runs; 0 is left unused, as NONE was in the 2005 queue.</summary>
public enum VmOpKind
{
    Mmap = 1,
    Munmap = 2,
    Mprotect = 3,
}
