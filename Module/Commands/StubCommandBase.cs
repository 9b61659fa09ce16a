using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>The -Stub parameter every per-stub cmdlet shares, and the session's default stub.</summary>
public abstract class StubCommandBase : PSCmdlet
{
    private bool _namedDefault;

    /// <summary>The stub to act on (a StubProcess, its Id or Name); default: the only running stub, else the last started.</summary>
    [Parameter(ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [StubTransformation]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public virtual StubProcess? Stub { get; set; }

    /// <summary>-Stub, else the default stub; a terminating NoStubProcess error when there is none.</summary>
    protected StubProcess RequireStub()
    {
        if (Stub is { } given)
        {
            return given;
        }
        var stub = StubRegistry.Default;
        if (stub is null)
        {
            ThrowTerminatingError(Errors.NoStub());
        }
        if (!_namedDefault)
        {
            _namedDefault = true;
            WriteVerbose($"No -Stub given: using stub '{stub!.Name}' (Id {stub.Id}, pid {stub.ProcessId}), the only running stub or else the newest.");
        }
        return stub!;
    }

    /// <summary>Runs <paramref name="action"/>, turning a dead stub into a StubNotRunning error.</summary>
    protected void WithStub(StubProcess stub, Action<StubProcess> action)
    {
        try
        {
            action(stub);
        }
        catch (StubExitedException e)
        {
            WriteError(Errors.StubNotRunning(e, stub));
        }
    }
}
