namespace UmlTlb;

/// <summary>How a stub process ended, as its tracer reaped it.</summary>
public sealed class StubTermination
{
    internal StubTermination(int? exitCode, int? signal, bool requested, string description)
    {
        ExitCode = exitCode;
        Signal = signal;
        Requested = requested;
        Description = description;
        Time = DateTime.Now;
    }

    /// <summary>The exit code, when the stub called exit.</summary>
    public int? ExitCode { get; }

    /// <summary>The signal that killed it, when one did.</summary>
    public int? Signal { get; }

    /// <summary>The signal's name (SIGKILL), or empty.</summary>
    public string SignalName => Signal is int s ? Tracing.SignalNames.Name(s) : string.Empty;

    /// <summary>True when the engine stopped it (Stop-StubProcess, module removal).</summary>
    public bool Requested { get; }

    public string Description { get; }

    public DateTime Time { get; }

    public override string ToString() => Description;
}
