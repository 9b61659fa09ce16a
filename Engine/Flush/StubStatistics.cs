namespace UmlTlb;

/// <summary>A stub's counters at one moment: the 2005 single_count, multi_count and multi_op_count, and more.</summary>
public sealed class StubStatistics
{
    public required StubProcess Stub { get; init; }

    /// <summary>Host ops run through syscall_stub (single_count).</summary>
    public long SingleCalls { get; init; }

    /// <summary>Runs of batch_syscall_stub (multi_count).</summary>
    public long Batches { get; init; }

    /// <summary>Host ops run through batch_syscall_stub (multi_op_count).</summary>
    public long BatchedOperations { get; init; }

    /// <summary>Host ops per run of batch_syscall_stub, on average (multi_op_count / multi_count).</summary>
    public double AverageBatchLength => Batches > 0 ? (double)BatchedOperations / Batches : 0;

    /// <summary>Queued ops that merged into the host op before them.</summary>
    public long CoalescedOperations { get; init; }

    /// <summary>Every resume of the stub until its trap.</summary>
    public long RoundTrips { get; init; }

    public long Failed { get; init; }

    /// <summary>Queued ops dropped unrun: by Clear-VmOp, by stopping the stub, by a pipeline that ended early.</summary>
    public long DiscardedOperations { get; init; }

    /// <summary>Wall time spent in round trips, hand-off to the tracer thread included.</summary>
    public TimeSpan TimeInStub { get; init; }

    /// <summary>The stub's voluntary context switches as /proc/pid/status counts them; -1 once it is gone.</summary>
    public long VoluntaryContextSwitches { get; init; }
}
