namespace UmlTlb;

/// <summary>
/// Linux refused the thread that would trace a new stub: a limit on threads or processes
/// was reached. .NET reports any failed pthread_create as OutOfMemoryException; the cause
/// Linux gives for it is EAGAIN, and the message says which limits apply and how full they are.
/// </summary>
public sealed class ThreadLimitException : InvalidOperationException
{
    internal ThreadLimitException(string stubName, Exception inner)
        : base($"Stub '{stubName}' was not started: Linux refused its tracer thread (pthread_create failed with EAGAIN, "
            + $"which .NET reports as out of memory): a limit on threads was reached. {Tracing.ThreadLimits.Describe()}. "
            + "Stop some stubs or other threads, or raise the limit.", inner)
    {
        StubName = stubName;
    }

    public string StubName { get; }

    /// <summary>EAGAIN, the errno Linux gives for a reached thread or process limit.</summary>
    public int Errno => Native.Errno.EAGAIN;
}
