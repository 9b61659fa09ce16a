namespace UmlTlb;

/// <summary>The stub process is gone: it was stopped, killed, faulted, or failed to start.</summary>
public sealed class StubExitedException : InvalidOperationException
{
    public StubExitedException(string stubName, StubTermination termination)
        : base($"Stub '{stubName}' is not running: {termination.Description}.")
    {
        StubName = stubName;
        Termination = termination;
    }

    public string StubName { get; }

    public StubTermination Termination { get; }
}
