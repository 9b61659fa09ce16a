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

    /// <summary>
    /// Says that <paramref name="count"/> ops of this pipeline were dropped unrun because it ended
    /// early (<paramref name="why"/>): as verbose when a downstream command simply wanted no more
    /// (Select-Object -First), else as a warning. A stopped pipeline takes no more records, so then
    /// the warning goes straight to the host.
    /// </summary>
    protected void ReportDiscarded(long count, Exception? why, long unwritten = 0)
    {
        string message = $"{count} op(s) queued by this pipeline were discarded without running"
            + (unwritten > 0 ? $", and the results of {unwritten} op(s) that ran were not written" : string.Empty)
            + ": the pipeline ended early"
            + (why is null ? "." : $" ({why.GetType().Name}).");
        try
        {
            if (why?.GetType().Name == "StopUpstreamCommandsException")
            {
                WriteVerbose(message);
            }
            else
            {
                WriteWarning(message);
            }
        }
        catch (Exception e) when (e is PipelineStoppedException or InvalidOperationException or ActionPreferenceStopException)
        {
            try
            {
                Host?.UI?.WriteWarningLine(message);
            }
            catch (Exception)
            {
                // Nowhere left to say it: the count is still in Get-StubStatistics' DiscardedOperations.
            }
        }
    }
}
