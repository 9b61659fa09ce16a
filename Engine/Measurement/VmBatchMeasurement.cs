namespace UmlTlb;

/// <summary>
/// One row of Measure-VmBatch: the standard op mix run on one stub, flushed every
/// <see cref="BatchSize"/> host ops, against the same system calls made natively in the same run.
/// </summary>
public sealed class VmBatchMeasurement
{
    public required string Stub { get; init; }

    public StubArchitecture Architecture { get; init; }

    /// <summary>How the engine makes the stub run (its ptrace stops, or the futex doorbell).</summary>
    public StubTransport Transport { get; init; }

    /// <summary>Host ops per flush: 1 takes the single path for every op, more take the batch path.</summary>
    public int BatchSize { get; init; }

    public int Operations { get; init; }

    /// <summary>Round trips of one repetition, as the flushes counted them.</summary>
    public long RoundTrips { get; init; }

    /// <summary>Median over the repetitions.</summary>
    public double NsPerOp { get; init; }

    public double OperationsPerSecond => NsPerOp > 0 ? 1e9 / NsPerOp : 0;

    /// <summary>NsPerOp over the native baseline's ns/op of the same run.</summary>
    public double RatioToNative { get; init; }

    public int Repetitions { get; init; }
}
