using System.Diagnostics;
using UmlTlb.Bench.Core;
using static UmlTlb.Bench.Core.Workload;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// Sync-VmRange (fix_range_common) of a page table with N dirty pages, against the same N mmaps
/// queued one by one and flushed (what Add-VmOp | Invoke-VmFlush does in the engine). Rows sync and
/// sync-queue (x86_64, Doorbell transport, colocated, one-page data area), ns per page; the pages are unmapped, untimed,
/// between repetitions.
/// </summary>
internal sealed class SyncWay : IMeasuredWay
{
    public string Name => "sync";

    public void Run(BenchRun run)
    {
        Console.WriteLine("Sync-VmRange of N dirty pages against the same ops queued and flushed, x86_64, Doorbell, Colocated, 1-page data area");
        EngineStubs.With(run, StubArchitecture.x86_64, StubAffinity.Colocated, 1, "sync", StubTransport.Doorbell, stub => Measure(run, stub));
    }

    private static void Measure(BenchRun run, StubProcess stub)
    {
        EngineStubs.CheckFits(run, stub);
        int n = run.N;
        ulong size = stub.PhysicalMemorySize;
        long batches = 0;
        var sync = run.Measure(() =>
        {
            var table = new VmPageTable(stub);
            for (int i = 0; i < n; i++)
            {
                table.Map(AddressOf(i), Page, OffsetOf(i, size), VmProtection.Read | VmProtection.Write);
            }
            long start = Stopwatch.GetTimestamp();
            var summary = table.Sync().Summary;
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (summary.Failed != 0 || summary.Operations != n)
            {
                throw new InvalidOperationException($"sync bench: {summary.Failed} failed, {summary.Operations} ops (expected {n}).");
            }
            batches = summary.Batches;
            Unmap(stub, n);
            return elapsed;
        });
        run.AddRow("sync", "x86_64", "Colocated", "1", n, n, sync, $"Sync-VmRange of {n} dirty pages; {batches} batches", "Doorbell");

        var queued = run.Measure(() =>
        {
            long start = Stopwatch.GetTimestamp();
            var flush = stub.BeginFlush();
            for (int i = 0; i < n; i++)
            {
                stub.Enqueue(VmOpKind.Mmap, AddressOf(i), Page, VmProtection.Read | VmProtection.Write, OffsetOf(i, size));
                flush.RunFullDataAreas(null);
            }
            var summary = flush.Complete(null);
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (summary.Failed != 0)
            {
                throw new InvalidOperationException($"queue bench: {summary.Failed} failed.");
            }
            Unmap(stub, n);
            return elapsed;
        });
        run.AddRow("sync-queue", "x86_64", "Colocated", "1", n, n, queued, $"the same {n} mmaps queued one by one and flushed", "Doorbell");
    }

    private static void Unmap(StubProcess stub, int n)
    {
        stub.Enqueue(VmOpKind.Munmap, AddressOf(0), AddressOf(n) - AddressOf(0), VmProtection.None, 0);
        stub.BeginFlush().Complete(null);
    }
}
