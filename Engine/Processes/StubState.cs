namespace UmlTlb;

public enum StubState
{
    Running,

    /// <summary>It exited, or UmlTlb stopped it.</summary>
    Exited,

    /// <summary>A signal UmlTlb did not send killed it (kill -9 from outside, a fault).</summary>
    Faulted,
}

/// <summary>Where the stub and its tracer thread may run.</summary>
public enum StubAffinity
{
    /// <summary>Both pinned to one CPU: a round trip needs no cross-CPU wake-up.</summary>
    Colocated,

    /// <summary>Left to the scheduler.</summary>
    Any,
}
