namespace UmlTlb.Tests;

/// <summary>
/// What only the Doorbell transport promises, seen from /proc: between flushes the stub sleeps on
/// its futex and neither it nor its tracer thread costs CPU; its tracer still answers stops.
/// Everything else runs for both transports through the X64Doorbell/I386Doorbell classes of every suite.
/// </summary>
public abstract class DoorbellTests : StubTestBase
{
    protected DoorbellTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture)
        : base(fixture, output, architecture, StubTransport.Doorbell)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : DoorbellTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : DoorbellTests(fixture, output, StubArchitecture.i386);

    [SkippableFact]
    public void IdleStubAndTracerThreadCostNoCpu()
    {
        var stub = Start(affinity: StubAffinity.Any);
        // Streaming single flushes first, so that both sides have been spinning.
        for (int i = 0; i < 200; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, At(2 * (i % 32)), Page, VmProtection.Read, 0);
            Flush(stub);
        }
        Assert.True(ProcView.WaitUntil(() => ProcView.Wchan(stub.ProcessId).Contains("futex"), TimeSpan.FromSeconds(5)), "the stub did not go to sleep on its doorbell");
        string stubStat = $"/proc/{stub.ProcessId}/stat", tracerStat = $"/proc/self/task/{stub.TracerThreadId}/stat";
        long stubBefore = ProcView.CpuTicks(stubStat), tracerBefore = ProcView.CpuTicks(tracerStat);

        Thread.Sleep(TimeSpan.FromSeconds(1));

        long stubAfter = ProcView.CpuTicks(stubStat), tracerAfter = ProcView.CpuTicks(tracerStat);
        Output.WriteLine($"clock ticks over 1 s idle: stub {stubBefore} -> {stubAfter}, tracer thread {tracerBefore} -> {tracerAfter}");
        Assert.Equal(stubBefore, stubAfter);
        Assert.Equal(tracerBefore, tracerAfter);
        Assert.StartsWith("S", ProcView.Status(stub.ProcessId)!["State"]);
        // The tracer thread sleeps in waitpid for its stub, not in a poll loop.
        Assert.Contains("wait", File.ReadAllText($"/proc/self/task/{stub.TracerThreadId}/wchan"));
    }

    [SkippableFact]
    public void TheTracerThreadRunsNoPtraceCommands()
    {
        var stub = Start();

        var e = Assert.Throws<InvalidOperationException>(() => stub.Tracer.Invoke(_ => { }));

        Assert.Contains("Doorbell", e.Message);
        Assert.Equal(StubState.Running, stub.State);
    }
}
