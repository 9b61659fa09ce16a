using System.Diagnostics;
using System.Globalization;

namespace UmlTlb.Bench.Core;

/// <summary>
/// What every measured way shares during one run: the options, the rows measured so far, the native
/// baseline, and how a row is timed (warm-up, repetitions, median).
/// </summary>
internal sealed class BenchRun
{
    private readonly List<BenchRow> _rows = new();

    public BenchRun(BenchOptions options) => Options = options;

    public BenchOptions Options { get; }

    public int N => Options.N;

    public IReadOnlyList<BenchRow> Rows => _rows;

    /// <summary>The native row's ns/op, once it has been measured; every workload row's ratio divides by it.</summary>
    public double NativeNs => Report.RowSet.NativeNs(_rows);

    /// <summary>Warm-up, then the timed repetitions; returns each repetition's elapsed Stopwatch ticks.</summary>
    public long[] Measure(Func<long> timedRun)
    {
        for (int w = 0; w < Options.Warmup; w++)
        {
            timedRun();
        }
        var ticks = new long[Options.Reps];
        for (int r = 0; r < Options.Reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ticks[r] = timedRun();
        }
        return ticks;
    }

    public static double NsPer(long ticks, long ops) => ticks * 1e9 / Stopwatch.Frequency / ops;

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    /// <summary>Median ns/op of a per-repetition tally collected on every run, the warm-ups first (they are skipped).</summary>
    public double MedianNsPerOp(IEnumerable<long> perRun, long ops) => Median(perRun.Skip(Options.Warmup).Select(t => NsPer(t, ops)));

    public BenchRow AddRow(string way, string arch, string affinity, string pages, int n, long ops, long[] ticks, string note = "", string transport = "")
    {
        var ns = ticks.Select(t => NsPer(t, ops)).ToArray();
        if (Options.NoCldStop && !way.StartsWith("rt-", StringComparison.Ordinal))
        {
            note = note.Length > 0 ? note + "; nocldstop" : "nocldstop";
        }
        var row = new BenchRow(way, arch, affinity, pages, n, ops, ticks.Length, Median(ns), ns.Min(), ns.Max(), note.Replace(',', ';'), transport);
        _rows.Add(row);
        Console.WriteLine($"  {row.Label,-44} {row.NsPerOp,9:F0} ns/op  (min {row.Min:F0}, max {row.Max:F0}){(note.Length > 0 ? "  " + row.Note : "")}");
        return row;
    }

    /// <summary>Adds an already computed row (the C reference reports medians, not ticks).</summary>
    public BenchRow AddRow(BenchRow row)
    {
        _rows.Add(row);
        Console.WriteLine($"  {row.Label,-44} {row.NsPerOp,9:F0} ns/op  (min {row.Min:F0}, max {row.Max:F0})  {row.Note}");
        return row;
    }

    public void AddMissing(string way, string arch, string affinity, string pages, int n, long ops, string note, string transport = "")
    {
        var row = new BenchRow(way, arch, affinity, pages, n, ops, 0, double.NaN, double.NaN, double.NaN, note.Replace(',', ';'), transport);
        _rows.Add(row);
        Console.WriteLine($"  {row.Label,-44} {"n/a",9}        {row.Note}");
    }

    /// <summary>Replaces the rows of one way (native is measured twice and pooled into one row).</summary>
    public void RemoveRows(string way) => _rows.RemoveAll(r => r.Way == way);

    public static string Pages(int pages) => pages.ToString(CultureInfo.InvariantCulture);

    public static string Join(params string[] parts) => string.Join("; ", parts.Where(p => p.Length > 0));
}
