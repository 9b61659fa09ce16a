namespace UmlTlb;

/// <summary>The instruction set a stub process runs in; names as uname -m spells them.</summary>
#pragma warning disable CA1707 // the names are the architectures' own
public enum StubArchitecture
{
    x86_64,
    i386,
}
#pragma warning restore CA1707
