namespace UmlTlb;

public enum StubState
{
    Running,

    /// <summary>It exited, or UmlTlb stopped it.</summary>
    Exited,

    /// <summary>A signal UmlTlb did not send killed it (kill -9 from outside, a fault).</summary>
    Faulted,

    /// <summary>Stop-StubProcess sent SIGKILL, but the stub has not exited yet (it cannot run: a frozen cgroup); it is reaped as soon as it does.</summary>
    Stopping,
}

/// <summary>Where the stub and its tracer thread may run.</summary>
public enum StubAffinity
{
    /// <summary>Both pinned to one CPU: a round trip needs no cross-CPU wake-up.</summary>
    Colocated,

    /// <summary>Left to the scheduler.</summary>
    Any,
}

/// <summary>How the engine makes the stub run its ops.</summary>
public enum StubTransport
{
    /// <summary>Every round trip is a ptrace stop: PTRACE_SETREGS/CONT, the stub's int3, waitpid.</summary>
    Ptrace,

    /// <summary>
    /// The stub loops in its own code and is woken through a futex word in the shared data area:
    /// no ptrace stop per round trip. Still traced, so faults and outside signals are seen as before.
    /// </summary>
    Doorbell,
}
