namespace UmlTlb;

/// <summary>Names find stubs (Get-StubProcess -Name, -Stub name), so two stubs may not share one.</summary>
public sealed class DuplicateStubNameException : ArgumentException
{
    public DuplicateStubNameException(string name)
        : base($"A stub named '{name}' already exists; choose another name or stop that stub first.") => Name = name;

    public string Name { get; }
}
