using System.Diagnostics;
using UmlTlb.Bench.Core;
using UmlTlb.Sources;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// Files read by the engine (Invoke-VmFlush -Path's engine call): parsing alone (rows/s), a
/// million-op CSV flushed with a summary (ratio to native: the same syscalls, nothing merges), and the
/// shipped strace of a real program replayed (ops/s, round trips against one per op). The cmdlet's own
/// row for the same file comes from Bench/file-bench.ps1.
/// </summary>
internal sealed class SourceFlushWay : IMeasuredWay
{
    private const long MillionOps = 1_000_000;

    public string Name => "file";

    public void Run(BenchRun run)
    {
        int n = run.N;
        long target = n >= 1024 ? MillionOps : 30L * 3 * n;
        string path = Path.Combine(Path.GetTempPath(), $"umltlb-bench-ops-{Environment.ProcessId}.csv");
        try
        {
            long ops = OpsFile.Write(path, n, target);
            Console.WriteLine($"files: {ops:N0} ops of the workload mix in {new FileInfo(path).Length / 1e6:F0} MB of CSV");
            Parse(run, path, ops);
            EngineStubs.With(run, StubArchitecture.x86_64, StubAffinity.Colocated, 1, "file-engine", StubTransport.Ptrace, stub => Flush(run, stub, path, ops));
        }
        finally
        {
            File.Delete(path);
        }
        EngineStubs.With(run, StubArchitecture.x86_64, StubAffinity.Colocated, 1, "trace", StubTransport.Ptrace, stub => Replay(run, stub));
    }

    private static void Parse(BenchRun run, string path, long ops)
    {
        var target = new SourceTarget(0x7ff000000000, StubStartOptions.DefaultPhysicalMemorySize);
        var ticks = run.Measure(() =>
        {
            long start = Stopwatch.GetTimestamp(), rows = 0;
            using (var source = VmOpSource.Open(path, VmOpSourceFormat.Csv, target, null))
            {
                while (source.Read(out var item))
                {
                    rows += item.Kind == SourceItemKind.Op ? 1 : 0;
                }
            }
            if (rows != ops)
            {
                throw new InvalidOperationException($"csv-parse read {rows} ops of {ops}.");
            }
            return Stopwatch.GetTimestamp() - start;
        });
        var row = run.AddRow("csv-parse", "x86_64", "", "", run.N, ops, ticks, "parsing and field checks alone (Sep)");
        Console.WriteLine($"    = {1e9 / row.NsPerOp / 1e6:F1} million rows/s");
    }

    private static void Flush(BenchRun run, StubProcess stub, string path, long ops)
    {
        long roundTrips = 0;
        var ticks = run.Measure(() =>
        {
            long start = Stopwatch.GetTimestamp();
            var summary = SourceFlush.Run(stub, [path], new SourceFlushOptions { ResultForEveryOp = false }, NoSink.Instance);
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (summary.Failed != 0 || summary.Rejected != 0 || summary.HostOperations != ops)
            {
                throw new InvalidOperationException($"file flush: {summary.Failed} failed, {summary.Rejected} rejected, {summary.HostOperations} host ops (expected {ops}).");
            }
            roundTrips = summary.RoundTrips;
            return elapsed;
        });
        run.AddRow("file-engine", "x86_64", "Colocated", "1", run.N, ops, ticks, $"SourceFlush.Run of the CSV with a summary; {roundTrips} round trips");
    }

    private static void Replay(BenchRun run, StubProcess stub)
    {
        string? trace = FindTrace();
        if (trace is null)
        {
            run.AddMissing("trace", "x86_64", "Colocated", "1", run.N, 0, "n/a: Tests/Traces/python3-start.strace not found above the bench");
            return;
        }
        VmFlushSummary? last = null;
        var ticks = run.Measure(() =>
        {
            long start = Stopwatch.GetTimestamp();
            last = SourceFlush.Run(stub, [trace], new SourceFlushOptions { Format = VmOpSourceFormat.Strace, ContinueOnError = true, ResultForEveryOp = false }, NoSink.Instance);
            return Stopwatch.GetTimestamp() - start;
        });
        var s = last!;
        var row = run.AddRow("trace", "x86_64", "Colocated", "1", run.N, s.Operations, ticks,
            $"python3-start.strace replayed: {s.Operations} ops; {s.HostOperations} host ops ({s.Merged} merged); "
            + $"{s.RoundTrips} round trips against {s.OnePerOpRoundTrips} one per op; {s.AverageBatchLength:F1} host ops per trip; {s.LeftOut} left out; {s.Failed} failed");
        Console.WriteLine($"    = {1e9 / row.NsPerOp:N0} ops/s");
    }

    private static string? FindTrace()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "Tests", "Traces", "python3-start.strace");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>A summary run reports failures only; the bench checks the summary instead.</summary>
    private sealed class NoSink : ISourceFlushSink
    {
        public static readonly NoSink Instance = new();

        public void Result(VmOpResult result)
        {
        }

        public void RowError(SourceRowError error) => throw new InvalidOperationException(error.Message);

        public void LeftOut(string path, long line, string why)
        {
        }

        public void Note(string text)
        {
        }

        public void Progress(string path, int fileIndex, int fileCount, long bytesRead, long totalBytes)
        {
        }
    }
}
