using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// Runs a stub's pending ops. With pipeline input it streams: each time a data
/// area's worth of host ops can no longer change it runs them (one round trip)
/// and writes their results, so a pipeline of any length runs in bounded memory.
/// Ops queued before the piped ones run first: a stub's queue runs in order.
/// With -Path or -LiteralPath the engine reads files of ops itself (InvokeVmFlushCommand.Files.cs).
/// With -Atomic a failure undoes the whole flush; with -WhatIf nothing runs, and a preview
/// of the host ops and of the change to the shadow is shown and written instead.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "VmFlush", DefaultParameterSetName = PipelineSet, SupportsShouldProcess = true)]
[OutputType(typeof(VmOpResult), typeof(VmFlushSummary), typeof(VmFlushPreview))]
public sealed partial class InvokeVmFlushCommand : StubCommandBase, IDisposable
{
    private readonly Dictionary<StubProcess, VmFlush> _flushes = new();
    private readonly Dictionary<StubProcess, AtomicVmFlush> _atomic = new();
    private readonly List<StubProcess> _previews = new();
    private readonly HashSet<StubProcess> _deadStubs = new();
    private readonly Action<VmOpResult> _writeResult;
    private readonly Action<VmOpResult> _writeFailure;
    private readonly FlushProgress _progress = new();
    private bool _sawInput;

    public InvokeVmFlushCommand()
    {
        _writeResult = WriteResult;
        _writeFailure = WriteFailure;
    }

    #region Parameters

    /// <summary>Ops queued by Add-VmOp, whose stubs' queues are flushed; or stubs, flushed whole.</summary>
    /// <remarks>
    /// Typed object so that a piped stub binds here too: with a second by-value parameter,
    /// PowerShell would try each piped op against the stub parameter's transformation first.
    /// </remarks>
    [Parameter(ValueFromPipeline = true, ParameterSetName = PipelineSet)]
    public object? InputObject { get; set; }

    /// <summary>The stub to flush when no ops are piped in.</summary>
    [Parameter]
    [Binding.StubTransformation]
    [ArgumentCompleter(typeof(Binding.StubArgumentCompleter))]
    public override StubProcess? Stub { get; set; }

    /// <summary>Run every op even after one fails; by default the rest of the flush is skipped.</summary>
    [Parameter]
    public SwitchParameter ContinueOnError { get; set; }

    /// <summary>Write one VmFlushSummary per stub instead of a result per host op.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>
    /// All or nothing: when an op fails, undo every op the flush ran (they come out RolledBack),
    /// computing the inverse ops from the shadow. Results are written once the flush completes.
    /// </summary>
    [Parameter(ParameterSetName = PipelineSet)]
    public SwitchParameter Atomic { get; set; }

    #endregion

    #region Method overrides

    protected override void BeginProcessing()
    {
        if (Atomic && ContinueOnError)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException("-Atomic and -ContinueOnError contradict each other: an atomic flush stops and undoes everything at the first failure."),
                "AtomicWithContinueOnError", ErrorCategory.InvalidArgument, null));
        }
    }

    protected override void ProcessRecord()
    {
        switch (InputObject is PSObject pso ? pso.BaseObject : InputObject)
        {
            case null:
                return;
            case VmOp op:
                _sawInput = true;
                Stream(op);
                return;
            case StubProcess stub:
                _sawInput = true;
                FlushFor(stub);
                return;
            default:
                // Piped input, if wrong, still means "not the default stub's whole queue".
                _sawInput = true;
                WriteError(Errors.NotAVmOp(InputObject));
                return;
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName != PipelineSet)
        {
            FlushFiles();
            return;
        }
        if (!_sawInput)
        {
            FlushFor(RequireStub());
        }
        foreach (var stub in _previews)
        {
            WithStub(stub, s =>
            {
                DryRun.Show(this, s.PreviewFlush(ContinueOnError));
            });
        }
        foreach (var flush in _flushes.Values)
        {
            Run(flush, f =>
            {
                var sink = Summary ? _writeFailure : _writeResult;
                var summary = _atomic.TryGetValue(f.Stub, out var atomic) ? CompleteAtomic(atomic, sink) : f.Complete(sink);
                if (summary.HostOperations > 0)
                {
                    WriteVerbose($"Flushed stub '{f.Stub.Name}': {summary.Operations} op(s) as {summary.HostOperations} host op(s), "
                        + $"{summary.Batches} batch(es) and {summary.SingleCalls} single call(s): {summary.RoundTrips} round trip(s); "
                        + $"{summary.Failed} failed, {summary.Skipped} skipped, {summary.Elapsed.TotalMilliseconds:F1} ms.");
                }
                if (Summary)
                {
                    WriteObject(summary);
                }
            });
        }
        _progress.Complete(this);
    }

    /// <summary>A stopped pipeline leaves no atomic flush half done: what it ran is undone.</summary>
    public void Dispose()
    {
        _stop.Dispose();
        foreach (var atomic in _atomic.Values.Where(a => !a.IsClosed))
        {
            try
            {
                atomic.Abandon();
            }
            catch (StubExitedException)
            {
                // Nothing left to undo in a stub that is gone.
            }
        }
    }

    #endregion

    #region Private methods

    /// <summary>Runs the data areas that the arrival of <paramref name="op"/> has filled.</summary>
    private void Stream(VmOp op)
    {
        if (op.Stub is null || op.HostOp == 0)
        {
            WriteError(Errors.NotQueued(op));
            return;
        }
        var flush = FlushFor(op.Stub);
        if (flush is null)
        {
            return;
        }
        if (!flush.Stub.IsPending(op.HostOp) && !flush.Covered(op.HostOp))
        {
            if (flush.Stub.WasCleared(op.HostOp))
            {
                WriteError(Errors.NotPending(op));
            }
            else
            {
                // A stub has one queue: a flush in another pipeline or runspace ran it and reported its result.
                WriteVerbose($"{op} (host op #{op.HostOp}) already ran in another flush of stub '{flush.Stub.Name}'.");
            }
            return;
        }
        Run(flush, f => f.RunFullDataAreas(_atomic.TryGetValue(f.Stub, out var atomic) ? atomic.Collect : Summary ? _writeFailure : _writeResult));
        _progress.Update(this, _flushes.Values);
    }

    /// <summary>This pipeline's flush of <paramref name="stub"/>, or null after reporting that the stub is gone.</summary>
    private VmFlush? FlushFor(StubProcess stub)
    {
        if (_flushes.TryGetValue(stub, out var flush))
        {
            return flush;
        }
        if (_deadStubs.Contains(stub) || _previews.Contains(stub))
        {
            return null;
        }
        if (DryRun.Requested(this))
        {
            // A dry run: nothing runs; the preview is computed at the end, from the shadow.
            _previews.Add(stub);
            return null;
        }
        try
        {
            if (Atomic)
            {
                var atomic = stub.BeginAtomicFlush();
                _atomic[stub] = atomic;
                flush = atomic.Inner;
            }
            else
            {
                flush = stub.BeginFlush(ContinueOnError);
            }
        }
        catch (StubExitedException e)
        {
            _deadStubs.Add(stub);
            WriteError(Errors.StubNotRunning(e, stub));
            return null;
        }
        _flushes[stub] = flush;
        return flush;
    }

    private void Run(VmFlush flush, Action<VmFlush> action)
    {
        try
        {
            action(flush);
        }
        catch (StubExitedException e)
        {
            _flushes.Remove(flush.Stub);
            _deadStubs.Add(flush.Stub);
            WriteError(Errors.StubNotRunning(e, flush.Stub));
        }
    }

    /// <summary>Completes an atomic flush; its results go out now, and an inverse op that failed is an error.</summary>
    private VmFlushSummary CompleteAtomic(AtomicVmFlush atomic, Action<VmOpResult> sink)
    {
        var summary = atomic.Complete(sink);
        if (atomic.Rollback.FirstOrDefault(r => r.Status != VmOpStatus.Succeeded) is { } undone)
        {
            WriteError(Errors.RollbackFailed(undone));
        }
        return summary;
    }

    private void WriteResult(VmOpResult result)
    {
        WriteObject(result);
        WriteFailure(result);
    }

    private void WriteFailure(VmOpResult result)
    {
        if (result.Status == VmOpStatus.Failed)
        {
            WriteError(Errors.SyscallFailed(result));
        }
    }

    #endregion
}
