namespace UmlTlb.Sources;

/// <summary>How <see cref="SourceFlush.Run"/> reads its files and what it reports.</summary>
public sealed class SourceFlushOptions
{
    public VmOpSourceFormat Format { get; init; } = VmOpSourceFormat.Csv;

    /// <summary>For a trace with several processes: the pid (as strace printed it) whose address space is replayed.</summary>
    public int? ProcessId { get; init; }

    public bool ContinueOnError { get; init; }

    /// <summary>False for a summary: only failed host ops reach the sink.</summary>
    public bool ResultForEveryOp { get; init; } = true;

    /// <summary>Checked between rows: once set, reading stops and nothing more runs.</summary>
    public CancellationToken Cancellation { get; init; }
}
