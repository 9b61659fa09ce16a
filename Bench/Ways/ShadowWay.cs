using System.Diagnostics;
using UmlTlb.Bench.Core;
using static UmlTlb.Bench.Core.Workload;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// What keeping the shadow costs: the batch workload (3N ops streamed into one flush) on one stub,
/// repetitions alternating with the shadow following every result and with it paused. Rows
/// batch-shadow and batch-noshadow (x86_64, Doorbell transport, colocated, one-page data area); the target is their ratio.
/// </summary>
internal sealed class ShadowWay : IMeasuredWay
{
    public string Name => "shadow";

    public void Run(BenchRun run)
    {
        Console.WriteLine("engine batch path with and without the shadow, x86_64, Doorbell, Colocated, 1-page data area");
        EngineStubs.With(run, StubArchitecture.x86_64, StubAffinity.Colocated, 1, "batch-shadow", StubTransport.Doorbell, stub => Measure(run, stub));
    }

    private static void Measure(BenchRun run, StubProcess stub)
    {
        EngineStubs.CheckFits(run, stub);
        int n = run.N;
        var with = new List<long>();
        var without = new List<long>();
        bool paused = false;
        // Each timed repetition runs the workload twice, once each way, in alternating order.
        run.Measure(() =>
        {
            long a = Workload(stub, n, paused);
            long b = Workload(stub, n, !paused);
            (paused ? without : with).Add(a);
            (paused ? with : without).Add(b);
            paused = !paused;
            return a + b;
        });
        int warm = run.Options.Warmup;
        var withTicks = with.Skip(warm).ToArray();
        var withoutTicks = without.Skip(warm).ToArray();
        var shadowRow = run.AddRow("batch-shadow", "x86_64", "Colocated", "1", n, 3L * n, withTicks, "shadow follows every result", "Doorbell");
        var plainRow = run.AddRow("batch-noshadow", "x86_64", "Colocated", "1", n, 3L * n, withoutTicks, "shadow paused", "Doorbell");
        Console.WriteLine($"  shadow / no shadow: {shadowRow.NsPerOp / plainRow.NsPerOp:F3}");
    }

    private static long Workload(StubProcess stub, int n, bool pauseShadow)
    {
        stub.Shadow.PausedForBenchmark = pauseShadow;
        try
        {
            long start = Stopwatch.GetTimestamp();
            StreamThroughEngine(stub, n);
            return Stopwatch.GetTimestamp() - start;
        }
        finally
        {
            stub.Shadow.PausedForBenchmark = false;
        }
    }
}
