namespace UmlTlb.Tracing;

/// <summary>A waitpid status word, decoded as the W* macros do.</summary>
internal readonly record struct WaitStatus(int Raw)
{
    public bool Exited => (Raw & 0x7f) == 0;

    public int ExitCode => (Raw >> 8) & 0xff;

    public bool Signaled => (Raw & 0x7f) != 0 && (Raw & 0x7f) != 0x7f;

    public int TermSignal => Raw & 0x7f;

    public bool Stopped => (Raw & 0xff) == 0x7f;

    public int StopSignal => (Raw >> 8) & 0xff;

    /// <summary>PTRACE_EVENT_* of a ptrace-event stop, 0 otherwise.</summary>
    public int PtraceEvent => Raw >> 16;

    public override string ToString() =>
        Exited ? $"exited with code {ExitCode}"
        : Signaled ? $"killed by {SignalNames.Name(TermSignal)}"
        : Stopped ? $"stopped by {SignalNames.Name(StopSignal)}"
        : $"status 0x{Raw:x}";
}
