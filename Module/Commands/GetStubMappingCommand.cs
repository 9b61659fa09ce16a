using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// A stub's mappings from /proc/pid/maps (by default only the range ops may change), or with
/// -Shadow the engine's shadow of that range, as the same kind of objects.
/// </summary>
[Cmdlet(VerbsCommon.Get, "StubMapping", DefaultParameterSetName = MapsSet)]
[OutputType(typeof(MemoryMapping))]
public sealed class GetStubMappingCommand : StubCommandBase
{
    private const string MapsSet = "Maps";
    private const string ShadowSet = "Shadow";

    /// <summary>Include the stub's own pages and the kernel's ([vsyscall]).</summary>
    [Parameter(ParameterSetName = MapsSet)]
    public SwitchParameter All { get; set; }

    /// <summary>The engine's shadow of the user range (what the flushes' results say it holds) instead of /proc/pid/maps.</summary>
    [Parameter(ParameterSetName = ShadowSet, Mandatory = true)]
    public SwitchParameter Shadow { get; set; }

    protected override void ProcessRecord() =>
        WithStub(RequireStub(), stub => WriteObject(Shadow ? stub.GetShadowMappings() : stub.GetMappings(All), enumerateCollection: true));
}
