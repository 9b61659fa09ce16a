using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// Where a single round trip's time goes: a null round trip (munmap of 0 bytes) from the caller (RunSingleSyscall), through the seam only,
/// inside one tracer command, and as raw ptrace calls. x86_64, both affinities.
/// </summary>
internal sealed class HandOffWay : IMeasuredWay
{
    public string Name => "handoff";

    public void Run(BenchRun run)
    {
        foreach (var affinity in EngineStubs.Affinities)
        {
            Console.WriteLine($"hand-off (caller thread -> tracer thread), null round trips (munmap of 0 bytes), x86_64, {affinity}");
            EngineStubs.With(run, StubArchitecture.x86_64, affinity, 1, "rt-caller", stub => Measure(run, stub, affinity));
        }
    }

    private static void Measure(BenchRun run, StubProcess stub, StubAffinity affinity)
    {
        int n = run.N;
        string a = affinity.ToString();
        run.AddRow("rt-caller", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.Caller(stub, n)), "RunSingleSyscall(munmap 0 bytes) from the caller");
        run.AddRow("rt-caller-raw", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.CallerRaw(stub, n)), "RoundTrip.RunSingle from the caller");
        if (EngineStubs.TracerOf(stub) is not { } tracer)
        {
            run.AddMissing("rt-tracer", "x86_64", a, "1", n, n, "n/a: StubProcess._tracer not found (engine changed)");
            return;
        }
        run.AddRow("rt-tracer", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.InTracer(stub, tracer, n, rawPtrace: false)), "loop inside one tracer Invoke (RunToTrap)");
        run.AddRow("rt-tracer-raw", "x86_64", a, "1", n, n, run.Measure(() => RoundTripLoops.InTracer(stub, tracer, n, rawPtrace: true)), "raw SETREGS+CONT+waitpid, without the engine's checks");
    }
}
