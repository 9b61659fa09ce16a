using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>Reads the stub's memory as the stub sees it (process_vm_readv), as one byte[].</summary>
[Cmdlet(VerbsCommunications.Read, "StubMemory")]
[OutputType(typeof(byte[]))]
public sealed class ReadStubMemoryCommand : StubCommandBase
{
    /// <summary>Address in the stub.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [NumberTransformation]
    public ulong Address { get; set; }

    /// <summary>How many bytes.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(0, 1 << 30)]
    public int Length { get; set; }

    protected override void ProcessRecord()
    {
        var stub = RequireStub();
        try
        {
            WithStub(stub, s => WriteObject(s.ReadMemory(Address, Length), enumerateCollection: false));
        }
        catch (Views.UnmappedMemoryException e)
        {
            WriteError(Errors.Unmapped(e));
        }
    }
}
