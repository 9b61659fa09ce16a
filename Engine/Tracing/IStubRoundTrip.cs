namespace UmlTlb.Tracing;

/// <summary>
/// The one seam between the flush code and how the stub is made to run: resume it
/// at one of its two entries and wait until it is done. Today every round trip is
/// a ptrace stop (<see cref="PtraceRoundTrip"/>); a futex doorbell in the data area
/// can implement the same two calls without one.
/// </summary>
internal interface IStubRoundTrip
{
    /// <summary>Runs one syscall through syscall_stub (registers only) and returns its raw result.</summary>
    long RunSingle(long nr, ReadOnlySpan<ulong> args);

    /// <summary>Runs the tuples already written in the data area through batch_syscall_stub.</summary>
    void RunBatch();
}
