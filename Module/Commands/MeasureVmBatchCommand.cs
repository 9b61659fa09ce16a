using System.Management.Automation;
using UmlTlb.Binding;
using UmlTlb.Lifetime;
using UmlTlb.Measurement;

namespace UmlTlb.Commands;

/// <summary>
/// Runs the standard op mix at several batch sizes and writes one row per batch size, with
/// the native baseline measured in the same run: on -Stub, or on a stub it starts per architecture.
/// </summary>
[Cmdlet(VerbsDiagnostic.Measure, "VmBatch", DefaultParameterSetName = ArchitectureSet)]
[OutputType(typeof(VmBatchMeasurement))]
public sealed class MeasureVmBatchCommand : PSCmdlet
{
    private const string ArchitectureSet = "Architecture";
    private const string StubSet = "Stub";

    #region Parameters

    /// <summary>A running stub to measure on; its queue must be empty and the mix's range unmapped.</summary>
    [Parameter(Mandatory = true, ParameterSetName = StubSet, ValueFromPipeline = true)]
    [StubTransformation]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public StubProcess? Stub { get; set; }

    /// <summary>Ops in the mix: a third mmaps, a third mprotects, a third munmaps.</summary>
    [Parameter]
    [ValidateRange(3, BatchMeasurement.MaxOperations)]
    public int Operations { get; set; } = 3000;

    /// <summary>Host ops per flush, one row each.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int[] BatchSize { get; set; } = [1, 8, 64, 512];

    /// <summary>The architectures to measure, each on a stub started for it and stopped after.</summary>
    [Parameter(ParameterSetName = ArchitectureSet)]
    public StubArchitecture[] Architecture { get; set; } = [StubArchitecture.x86_64];

    /// <summary>The transports to measure, each with every architecture.</summary>
    [Parameter(ParameterSetName = ArchitectureSet)]
    public StubTransport[] Transport { get; set; } = [StubTransport.Doorbell];

    /// <summary>Repetitions per row; the median is reported.</summary>
    [Parameter]
    [ValidateRange(1, 100)]
    public int Repetitions { get; set; } = 3;

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        if (ParameterSetName == StubSet)
        {
            Measure(Stub!);
            return;
        }
        foreach (var (architecture, transport) in Architecture.SelectMany(a => Transport.Select(t => (a, t))))
        {
            int pages = BatchMeasurement.PagesForBatch(architecture, BatchSize.Max());
            StubProcess stub;
            try
            {
                stub = StubProcess.Start(new StubStartOptions
                {
                    Name = $"measure-{architecture}-{transport}-{Guid.NewGuid():N}"[..32],
                    Architecture = architecture,
                    Transport = transport,
                    BatchPages = pages,
                });
            }
            catch (Exception e) when (e is not PipelineStoppedException)
            {
                WriteError(Errors.StubStartFailed(e, architecture.ToString()));
                continue;
            }
            RunspaceStubs.Adopt(stub);
            try
            {
                WriteVerbose($"Measuring on stub '{stub.Name}' (pid {stub.ProcessId}, {architecture}, {transport}, {pages} data page(s), {stub.BatchCapacity} host ops per round trip).");
                Measure(stub);
            }
            finally
            {
                stub.Stop();
                RunspaceStubs.Forget(stub);
            }
        }
    }

    #endregion

    #region Private methods

    private void Measure(StubProcess stub)
    {
        var progress = new ProgressRecord(1, "Measure-VmBatch", $"{stub.Name} ({stub.Architecture})");
        IReadOnlyList<VmBatchMeasurement> rows;
        try
        {
            rows = BatchMeasurement.Run(stub, Operations, BatchSize, Repetitions, step =>
            {
                progress.StatusDescription = $"{stub.Name} ({stub.Architecture}): {step}";
                WriteProgress(progress);
            });
        }
        catch (StubExitedException e)
        {
            WriteError(Errors.StubNotRunning(e, stub));
            return;
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentOutOfRangeException)
        {
            WriteError(new ErrorRecord(e, "MeasurementNotPossible", ErrorCategory.InvalidOperation, stub));
            return;
        }
        finally
        {
            progress.RecordType = ProgressRecordType.Completed;
            WriteProgress(progress);
        }
        foreach (var row in rows)
        {
            WriteObject(row);
        }
    }

    #endregion
}
