using System.Diagnostics;

namespace UmlTlb.Measurement;

/// <summary>
/// Runs the standard op mix on a stub at several batch sizes, with the native baseline
/// measured in the same call, and reports one row per batch size. Each repetition's
/// median is taken: the machine's speed drifts, and a single run says little.
/// </summary>
public static class BatchMeasurement
{
    public const int MaxOperations = 300_000;

    /// <summary>
    /// Measures <paramref name="stub"/> (its queue must be empty and the mix's range unmapped).
    /// <paramref name="progress"/> is told each batch size before it runs, on the calling thread.
    /// </summary>
    public static IReadOnlyList<VmBatchMeasurement> Run(StubProcess stub, int operations, IReadOnlyList<int> batchSizes,
        int repetitions, Action<string>? progress = null)
    {
        if (operations is < 3 or > MaxOperations)
        {
            throw new ArgumentOutOfRangeException(nameof(operations), operations, $"Operations must be 3 to {MaxOperations}.");
        }
        if (batchSizes.Count == 0 || batchSizes.Any(b => b < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(batchSizes), string.Join(",", batchSizes), "Batch sizes must be 1 or more.");
        }
        int pages = BatchWorkload.PagesFor(operations);
        CheckRangeFree(stub, pages);

        progress?.Invoke("native baseline");
        double nativeNs = Median(Enumerable.Range(0, repetitions).Select(_ => NativeBaseline.Run(pages, stub.PhysicalMemorySize))) * NsPerTick / (3.0 * pages);

        var rows = new List<VmBatchMeasurement>();
        foreach (int batchSize in batchSizes)
        {
            progress?.Invoke($"batch size {batchSize}");
            var ticks = new List<long>();
            long roundTrips = 0;
            for (int r = 0; r < repetitions; r++)
            {
                (long elapsed, roundTrips) = RunOnce(stub, pages, batchSize);
                ticks.Add(elapsed);
            }
            double ns = Median(ticks) * NsPerTick / (3.0 * pages);
            rows.Add(new VmBatchMeasurement
            {
                Stub = stub.Name,
                Architecture = stub.Architecture,
                Transport = stub.Transport,
                BatchSize = batchSize,
                Operations = 3 * pages,
                RoundTrips = roundTrips,
                NsPerOp = ns,
                RatioToNative = ns / nativeNs,
                Repetitions = repetitions,
            });
        }
        return rows;
    }

    /// <summary>The data-area pages a stub needs to run <paramref name="batchSize"/> host ops in one round trip.</summary>
    public static int PagesForBatch(StubArchitecture architecture, int batchSize)
    {
        int wordSize = Abi.StubAbi.For(architecture).WordSize;
        for (int pages = 1; pages <= Abi.StubDataLayout.MaxBatchPages; pages++)
        {
            if (Abi.StubDataLayout.Capacity(pages * (int)BatchWorkload.Page, wordSize) >= batchSize)
            {
                return pages;
            }
        }
        return Abi.StubDataLayout.MaxBatchPages;
    }

    private static readonly double NsPerTick = 1e9 / Stopwatch.Frequency;

    private static (long Ticks, long RoundTrips) RunOnce(StubProcess stub, int pages, int batchSize)
    {
        long roundTrips = 0;
        long start = Stopwatch.GetTimestamp();
        VmFlush? flush = null;
        int inFlush = 0;
        for (int i = 0; i < 3 * pages; i++)
        {
            var (kind, address, protection, offset) = BatchWorkload.Op(i, pages, stub.PhysicalMemorySize);
            flush ??= stub.BeginFlush();
            stub.Enqueue(kind, address, BatchWorkload.Page, protection, offset, coalesce: false);
            if (++inFlush == batchSize)
            {
                roundTrips += Complete(flush);
                flush = null;
                inFlush = 0;
            }
        }
        if (flush is not null)
        {
            roundTrips += Complete(flush);
        }
        return (Stopwatch.GetTimestamp() - start, roundTrips);
    }

    private static long Complete(VmFlush flush)
    {
        var summary = flush.Complete(null);
        if (summary.Failed != 0 || summary.Skipped != 0)
        {
            throw new InvalidOperationException($"The op mix failed in stub '{flush.Stub.Name}': {summary.Failed} failed, {summary.Skipped} skipped.");
        }
        return summary.RoundTrips;
    }

    private static void CheckRangeFree(StubProcess stub, int pages)
    {
        if (stub.PendingOperations != 0)
        {
            throw new InvalidOperationException($"Stub '{stub.Name}' has {stub.PendingOperations} pending host op(s): flush or clear them before measuring.");
        }
        ulong end = BatchWorkload.Base + BatchWorkload.SpanOf(pages);
        if (end > stub.UserAddressLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(pages), pages, $"The op mix would reach 0x{end:x}, past stub '{stub.Name}''s user limit 0x{stub.UserAddressLimit:x}.");
        }
        if (stub.GetMappings().FirstOrDefault(m => m.End > BatchWorkload.Base && m.Start < end) is { } used)
        {
            throw new InvalidOperationException($"Stub '{stub.Name}' has 0x{used.Start:x}-0x{used.End:x} mapped, inside the range the op mix uses (0x{BatchWorkload.Base:x}-0x{end:x}): unmap it or use another stub.");
        }
    }

    private static double Median(IEnumerable<long> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2.0;
    }
}
