using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>Lists the stubs of this session (every runspace of the process sees the same ones).</summary>
[Cmdlet(VerbsCommon.Get, "StubProcess", DefaultParameterSetName = NameSet)]
[OutputType(typeof(StubProcess))]
public sealed class GetStubProcessCommand : PSCmdlet
{
    private const string IdSet = "Id";
    private const string NameSet = "Name";

    #region Parameters

    /// <summary>Ids of the stubs to get.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public int[]? Id { get; set; }

    /// <summary>Names of the stubs to get; wildcards allowed.</summary>
    [Parameter(Position = 0, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public string[]? Name { get; set; }

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        var stubs = ParameterSetName == IdSet
            ? StubSelection.ById(this, Id!)
            : Name is null ? StubRegistry.All : StubSelection.ByName(this, Name);
        foreach (var stub in stubs)
        {
            WriteObject(stub);
        }
    }

    #endregion
}
