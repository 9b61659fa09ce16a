using System.Management.Automation;
using UmlTlb.Lifetime;

namespace UmlTlb.Commands;

/// <summary>
/// Runs a stub's pending ops. With pipeline input it streams: each time a data
/// area's worth of host ops can no longer change it runs them (one round trip)
/// and writes their results, so a pipeline of any length runs in bounded memory.
/// A stub's queue runs in order, whoever queued what; but this command writes the
/// results (and errors) of its own ops only: those of the Add-VmOp pipelines whose
/// ops it receives, or, without pipeline input, those queued in this runspace by no
/// pipeline of their own. Results of ops another flush ran are delivered here too;
/// results of other pipelines' ops that this flush ran go to them.
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
    private readonly List<VmOpOwner> _owners = new();
    private readonly object _flushesGate = new();
    private readonly Action<VmOpResult> _writeResult;
    private readonly Action<VmOpResult> _writeFailure;
    private readonly FlushProgress _progress = new();
    private bool _sawInput;
    private bool _claimsUnowned;
    private bool _done;

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

    /// <summary>Run every op even after one fails; by default the rest of this pipeline's ops are skipped.</summary>
    [Parameter]
    public SwitchParameter ContinueOnError { get; set; }

    /// <summary>Write one VmFlushSummary per stub instead of a result per host op; keeps nothing per op.</summary>
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
        // Before any record flows: the Add-VmOp upstream of this command queues for the owner made here.
        if (ParameterSetName == PipelineSet && MyInvocation.PipelinePosition > 1 && PipelineOwners.ForFlushPipeline(this) is { } own)
        {
            Claim(own);
        }
    }

    protected override void ProcessRecord() => Guarded(() =>
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
                ClaimUnowned();
                FlushFor(stub);
                return;
            default:
                // Piped input, if wrong, still means "not the default stub's whole queue".
                _sawInput = true;
                WriteError(Errors.NotAVmOp(InputObject));
                return;
        }
    });

    protected override void EndProcessing() => Guarded(() =>
    {
        if (ParameterSetName != PipelineSet)
        {
            FlushFiles();
            _done = true;
            return;
        }
        if (!_sawInput)
        {
            ClaimUnowned();
            FlushFor(RequireStub());
        }
        foreach (var stub in _previews)
        {
            WithStub(stub, s =>
            {
                DryRun.Show(this, s.PreviewFlush(ContinueOnError));
            });
        }
        foreach (var flush in Snapshot())
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
                if (summary.Discarded > 0)
                {
                    WriteWarning($"{summary.Discarded} op(s) queued by this pipeline in stub '{f.Stub.Name}' were discarded before they ran (Clear-VmOp or Stop-StubProcess).");
                }
                if (Summary)
                {
                    WriteObject(summary);
                }
            });
        }
        _progress.Complete(this);
        _done = true;
        Release();
    });

    /// <summary>
    /// A pipeline that ended before EndProcessing ran (an upstream error, Select-Object -First,
    /// Ctrl+C) leaves none of its ops for someone else's flush, and no atomic flush half done.
    /// </summary>
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
        if (!_done)
        {
            AbandonPending(null);
        }
    }

    #endregion

    #region Private methods

    /// <summary>Runs <paramref name="body"/>; if the pipeline ends in it, drops this pipeline's pending ops and says so.</summary>
    private void Guarded(Action body)
    {
        try
        {
            body();
        }
        catch (Exception e)
        {
            AbandonPending(e);
            throw;
        }
    }

    private void AbandonPending(Exception? why)
    {
        _done = true;
        long discarded = 0;
        foreach (var owner in _owners)
        {
            discarded += owner.DiscardPending();
        }
        long unwritten = Snapshot().Sum(f => f.Undelivered);
        if (discarded > 0 || unwritten > 0)
        {
            ReportDiscarded(discarded, why, unwritten);
        }
        Release();
    }

    private void Release()
    {
        foreach (var owner in _owners)
        {
            owner.Detach(this);
        }
    }

    /// <summary>Runs the data areas that the arrival of <paramref name="op"/> has filled.</summary>
    private void Stream(VmOp op)
    {
        if (op.Stub is null || op.HostOp == 0)
        {
            WriteError(Errors.NotQueued(op));
            return;
        }
        if (!op.Stub.IsPending(op.HostOp) && op.Stub.WasDiscarded(op.HostOp))
        {
            WriteError(Errors.NotPending(op));
            return;
        }
        if (!op.Stub.IsPending(op.HostOp))
        {
            WriteVerbose($"{op} (host op #{op.HostOp}) already ran or was discarded before it reached this flush of stub '{op.Stub.Name}'; its result went to the flush that served its pipeline.");
        }
        if (op.Owner is { } owner)
        {
            Claim(owner);
        }
        else
        {
            // A VmOp from Get-VmOp: it names a stub to flush, not an owner.
            ClaimUnowned();
        }
        var flush = FlushFor(op.Stub);
        if (flush is null)
        {
            return;
        }
        Run(flush, f => f.RunFullDataAreas(_atomic.TryGetValue(f.Stub, out var atomic) ? atomic.Collect : Summary ? _writeFailure : _writeResult));
        _progress.Update(this, _flushes.Values);
    }

    /// <summary>Serves the ops queued in this runspace with no flush in their pipeline (Add-VmOp alone).</summary>
    private void ClaimUnowned()
    {
        if (!_claimsUnowned)
        {
            _claimsUnowned = true;
            Claim(PipelineOwners.Standalone());
        }
    }

    /// <summary>Serves <paramref name="owner"/> from now on, unless another flush already does.</summary>
    private void Claim(VmOpOwner owner)
    {
        if (_owners.Contains(owner) || !owner.TryAttach(this))
        {
            return;
        }
        _owners.Add(owner);
        foreach (var flush in Snapshot())
        {
            flush.Adopt(owner);
        }
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
                flush = stub.BeginFlush(ContinueOnError, keepResults: !Summary);
            }
        }
        catch (StubExitedException e)
        {
            _deadStubs.Add(stub);
            WriteError(Errors.StubNotRunning(e, stub));
            return null;
        }
        foreach (var owner in _owners)
        {
            flush.Adopt(owner);
        }
        lock (_flushesGate)
        {
            _flushes[stub] = flush;
        }
        return flush;
    }

    private VmFlush[] Snapshot()
    {
        lock (_flushesGate)
        {
            return _flushes.Values.ToArray();
        }
    }

    private void Run(VmFlush flush, Action<VmFlush> action)
    {
        try
        {
            action(flush);
        }
        catch (StubExitedException e)
        {
            lock (_flushesGate)
            {
                _flushes.Remove(flush.Stub);
            }
            _deadStubs.Add(flush.Stub);
            // Its queue can never run: drop it (counted in DiscardedOperations), so that no owner waits for it.
            flush.Stub.ClearPendingOperations();
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
