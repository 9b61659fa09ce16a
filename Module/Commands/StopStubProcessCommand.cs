using System.Management.Automation;
using UmlTlb.Binding;
using UmlTlb.Lifetime;

namespace UmlTlb.Commands;

/// <summary>
/// Kills and reaps stubs and their tracer threads. Pending ops are discarded with a
/// warning that gives their count (they could never run once the stub is gone).
/// </summary>
[Cmdlet(VerbsLifecycle.Stop, "StubProcess", SupportsShouldProcess = true, DefaultParameterSetName = InputObjectSet)]
[OutputType(typeof(StubProcess))]
public sealed class StopStubProcessCommand : PSCmdlet
{
    private const string InputObjectSet = "InputObject";
    private const string IdSet = "Id";
    private const string NameSet = "Name";

    #region Parameters

    /// <summary>The stubs to stop.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ParameterSetName = InputObjectSet)]
    [StubTransformation]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public StubProcess[] InputObject { get; set; } = [];

    /// <summary>Ids of the stubs to stop.</summary>
    [Parameter(Mandatory = true, ParameterSetName = IdSet, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public int[] Id { get; set; } = [];

    /// <summary>Names of the stubs to stop; wildcards allowed.</summary>
    [Parameter(Mandatory = true, ParameterSetName = NameSet, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Writes each stopped stub to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        foreach (var stub in Selected())
        {
            if (!ShouldProcess($"{stub.Name} (Id {stub.Id}, pid {stub.ProcessId})", "Stop stub process"))
            {
                continue;
            }
            var termination = stub.Stop(out long discarded);
            RunspaceStubs.Forget(stub);
            WriteVerbose($"Stopped stub '{stub.Name}' (pid {stub.ProcessId}); {discarded} pending op(s) discarded unrun.");
            if (stub.State == StubState.Stopping)
            {
                WriteWarning($"Stub '{stub.Name}': {termination.Description}.");
            }
            if (discarded > 0)
            {
                // Stopping wins over pending work (it runs in finally blocks and clean-ups), but never silently.
                WriteWarning($"Stub '{stub.Name}' had {discarded} pending op(s) that never ran; they were discarded. Run Invoke-VmFlush before Stop-StubProcess to keep them.");
            }
            if (PassThru)
            {
                WriteObject(stub);
            }
        }
    }

    #endregion

    #region Private methods

    private IEnumerable<StubProcess> Selected() => ParameterSetName switch
    {
        IdSet => StubSelection.ById(this, Id),
        NameSet => StubSelection.ByName(this, Name),
        _ => InputObject,
    };

    #endregion
}
