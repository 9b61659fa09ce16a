using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// Where a single round trip's time goes: a null round trip (munmap of 0 bytes) from the caller (RunSingleSyscall), through the seam only,
/// inside one tracer command, and as raw ptrace calls. x86_64, both affinities. With the Doorbell transport only
/// the caller's rows: its round trips never reach the tracer thread.
/// </summary>
internal sealed class HandOffWay(StubTransport transport) : IMeasuredWay
{
    public string Name => "handoff";

    public void Run(BenchRun run)
    {
        foreach (var affinity in EngineStubs.Affinities)
        {
            Console.WriteLine($"hand-off (caller thread -> {(transport == StubTransport.Ptrace ? "tracer thread" : "stub's doorbell")}), null round trips (munmap of 0 bytes), x86_64, {affinity}");
            EngineStubs.With(run, StubArchitecture.x86_64, affinity, 1, "rt-caller", transport, stub => Measure(run, stub, affinity));
        }
    }

    private void Measure(BenchRun run, StubProcess stub, StubAffinity affinity)
    {
        int n = run.N;
        string a = affinity.ToString(), t = transport.ToString();
        run.AddRow("rt-caller", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.Caller(stub, n)), "RunSingleSyscall(munmap 0 bytes) from the caller", t);
        run.AddRow("rt-caller-raw", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.CallerRaw(stub, n)), RawNote(stub), t);
        if (transport == StubTransport.Doorbell)
        {
            return;
        }
        if (EngineStubs.TracerOf(stub) is not { } tracer)
        {
            run.AddMissing("rt-tracer", "x86_64", a, "1", n, n, "n/a: StubProcess._tracer not found (engine changed)");
            return;
        }
        run.AddRow("rt-tracer", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.InTracer(stub, tracer, n, rawPtrace: false)), "loop inside one tracer Invoke (RunToTrap)", t);
        run.AddRow("rt-tracer-raw", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.InTracer(stub, tracer, n, rawPtrace: true)), "raw SETREGS+CONT+waitpid, without the engine's checks", t);
    }

    /// <summary>For the doorbell: how many round trips the caller's spin caught (no futex sleep on either side of it).</summary>
    private static string RawNote(StubProcess stub) => stub.RoundTrip is Doorbell.DoorbellRoundTrip doorbell
        ? $"RoundTrip.RunSingle from the caller; caller's spin caught {doorbell.SpinHits} round trips in all"
        : "RoundTrip.RunSingle from the caller";
}
