using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>Writes bytes into the stub's physical-memory file, where mmap ops map them from.</summary>
[Cmdlet(VerbsCommunications.Write, "PhysicalMemory", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(void))]
public sealed class WritePhysicalMemoryCommand : StubCommandBase
{
    /// <summary>Byte offset into the physical-memory file.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [NumberTransformation]
    public ulong Offset { get; set; }

    /// <summary>The bytes to write.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    public byte[] Value { get; set; } = [];

    protected override void ProcessRecord()
    {
        var stub = RequireStub();
        if (!ShouldProcess($"{stub.Name} physical memory 0x{Offset:x}", $"Write {Value.Length} byte(s)"))
        {
            return;
        }
        try
        {
            WithStub(stub, s => s.WritePhysicalMemory(Offset, Value));
        }
        catch (ArgumentOutOfRangeException e)
        {
            WriteError(Errors.OutOfRange(e, Offset));
        }
    }
}
