using System.Diagnostics;
using UmlTlb.Bench.Core;
using static UmlTlb.Bench.Core.Workload;

namespace UmlTlb.Bench.Ways;

/// <summary>The engine's single path: one flush per op, each a round trip through syscall_stub. Both affinities.</summary>
internal sealed class EngineSingleWay(string name, StubArchitecture architecture, StubTransport transport) : IMeasuredWay
{
    public string Name => name;

    public void Run(BenchRun run)
    {
        foreach (var affinity in EngineStubs.Affinities)
        {
            Console.WriteLine($"engine single path, {architecture}, {affinity}, {transport}");
            EngineStubs.With(run, architecture, affinity, 1, "single", transport, stub => Measure(run, stub, affinity));
        }
    }

    private void Measure(BenchRun run, StubProcess stub, StubAffinity affinity)
    {
        EngineStubs.CheckFits(run, stub);
        int n = run.N;
        ulong size = stub.PhysicalMemorySize;
        long failed = 0;
        var inStub = new List<long>();
        void One(VmOpKind kind, ulong address, VmProtection protection, ulong offset)
        {
            stub.Enqueue(kind, address, Page, protection, offset);
            var summary = stub.BeginFlush().Complete(null);
            failed += summary.Failed + (summary.SingleCalls == 1 ? 0 : 1);
        }
        var ticks = run.Measure(() =>
        {
            long stubBefore = stub.Counters.TicksInStub;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < n; i++)
            {
                One(VmOpKind.Mmap, AddressOf(i), VmProtection.Read | VmProtection.Write, OffsetOf(i, size));
            }
            for (int i = 0; i < n; i++)
            {
                One(VmOpKind.Mprotect, AddressOf(i), VmProtection.Read, 0);
            }
            for (int i = 0; i < n; i++)
            {
                One(VmOpKind.Munmap, AddressOf(i), VmProtection.None, 0);
            }
            long elapsed = Stopwatch.GetTimestamp() - start;
            inStub.Add(stub.Counters.TicksInStub - stubBefore);
            if (failed != 0)
            {
                throw new InvalidOperationException($"{failed} single-path ops failed or did not take the single path.");
            }
            return elapsed;
        });
        run.AddRow("single", architecture.ToString(), affinity.ToString(), "1", n, 3L * n, ticks,
            BenchRun.Join(EngineStubs.InStubNote(run, inStub), EngineStubs.CpuNote(stub)), transport.ToString());
    }
}
