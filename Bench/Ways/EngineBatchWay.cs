using System.Diagnostics;
using UmlTlb.Bench.Core;
using static UmlTlb.Bench.Core.Workload;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// The engine's batch path: all 3N ops streamed into one flush, as Add-VmOp | Invoke-VmFlush does (full
/// data areas run as they fill). One row per data-area size, both affinities.
/// </summary>
internal sealed class EngineBatchWay(string name, StubArchitecture architecture, StubTransport transport, params int[] batchPages) : IMeasuredWay
{
    public string Name => name;

    public void Run(BenchRun run)
    {
        foreach (var affinity in EngineStubs.Affinities)
        {
            foreach (int pages in batchPages)
            {
                Console.WriteLine($"engine batch path, {architecture}, {affinity}, {pages}-page data area, {transport}");
                EngineStubs.With(run, architecture, affinity, pages, "batch", transport, stub => Measure(run, stub, affinity, pages));
            }
        }
    }

    private void Measure(BenchRun run, StubProcess stub, StubAffinity affinity, int pages)
    {
        EngineStubs.CheckFits(run, stub);
        int n = run.N;
        long roundTrips = 0;
        var inStub = new List<long>();
        var ticks = run.Measure(() =>
        {
            long stubBefore = stub.Counters.TicksInStub;
            long start = Stopwatch.GetTimestamp();
            var summary = StreamThroughEngine(stub, n);
            long elapsed = Stopwatch.GetTimestamp() - start;
            inStub.Add(stub.Counters.TicksInStub - stubBefore);
            roundTrips = summary.RoundTrips;
            return elapsed;
        });
        run.AddRow("batch", architecture.ToString(), affinity.ToString(), BenchRun.Pages(pages), n, 3L * n, ticks,
            BenchRun.Join($"capacity {stub.BatchCapacity}; {roundTrips} round trips", EngineStubs.InStubNote(run, inStub), EngineStubs.CpuNote(stub)), transport.ToString());
    }
}
