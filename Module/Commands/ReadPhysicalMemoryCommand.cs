using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>Reads bytes of the stub's physical-memory file, as one byte[] (pipe it to Format-Hex).</summary>
[Cmdlet(VerbsCommunications.Read, "PhysicalMemory")]
[OutputType(typeof(byte[]))]
public sealed class ReadPhysicalMemoryCommand : StubCommandBase
{
    /// <summary>Byte offset into the physical-memory file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [NumberTransformation]
    public ulong Offset { get; set; }

    /// <summary>How many bytes.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateRange(0, 1 << 30)]
    public int Length { get; set; }

    protected override void ProcessRecord()
    {
        try
        {
            WithStub(RequireStub(), stub => WriteObject(stub.ReadPhysicalMemory(Offset, Length), enumerateCollection: false));
        }
        catch (ArgumentOutOfRangeException e)
        {
            WriteError(Errors.OutOfRange(e, Offset));
        }
    }
}
