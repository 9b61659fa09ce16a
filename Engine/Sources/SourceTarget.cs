namespace UmlTlb.Sources;

/// <summary>What a trace's translation needs to know of the stub it will run in.</summary>
public readonly record struct SourceTarget(ulong UserAddressLimit, ulong PhysicalMemorySize)
{
    public static SourceTarget Of(StubProcess stub) => new(stub.UserAddressLimit, stub.PhysicalMemorySize);
}
