using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>A stub's mappings from /proc/pid/maps: by default only the range ops may change.</summary>
[Cmdlet(VerbsCommon.Get, "StubMapping")]
[OutputType(typeof(MemoryMapping))]
public sealed class GetStubMappingCommand : StubCommandBase
{
    /// <summary>Include the stub's own pages and the kernel's ([vsyscall]).</summary>
    [Parameter]
    public SwitchParameter All { get; set; }

    protected override void ProcessRecord() =>
        WithStub(RequireStub(), stub => WriteObject(stub.GetMappings(All), enumerateCollection: true));
}
