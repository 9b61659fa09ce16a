using System.Globalization;
using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Report;

/// <summary>
/// The issues' speed targets, each a ratio (or difference) of two rows of the same run: never a number
/// measured on another day. A way that brings a target adds it to <see cref="All"/>.
/// </summary>
internal static class Targets
{
    private sealed record Target(string Name, double Value, double Limit, string Unit);

    private static IEnumerable<Target> All(IReadOnlyList<BenchRow> rows)
    {
        double Ns(string way, string affinity = "Colocated", string pages = "1") => RowSet.Ns(rows, way, "x86_64", affinity, pages);
        double native = RowSet.NativeNs(rows);

        // Batching issue: the batch close to native, the single path close to C, batching worth 8x.
        foreach (string affinity in new[] { "Colocated", "Any" })
        {
            yield return new($"batch, 1 page / native ({affinity})", Ns("batch", affinity) / native, 1.3, "x");
            yield return new($"batch, 16 pages / native ({affinity})", Ns("batch", affinity, "16") / native, 1.05, "x");
            yield return new($"single / C single, same run ({affinity})", Ns("single", affinity) / Ns("c-single", affinity), 1.2, "x");
            yield return new($"batch, 1 page / single ({affinity})", Ns("batch", affinity) / Ns("single", affinity), 1.0 / 8, "x");
        }

        // Shadow issue: following every result adds at most 10% to the batch path.
        yield return new("batch with the shadow / without, same run (Doorbell)",
            RowSet.Ns(rows, "batch-shadow", "x86_64", "Colocated", "1", "Doorbell") / RowSet.Ns(rows, "batch-noshadow", "x86_64", "Colocated", "1", "Doorbell"), 1.10, "x");

        // Cmdlet issue: the pipeline costs at most 3 us per op over the engine's batch (of the same transport).
        foreach (var cmdlet in rows.Where(r => r.Way == "cmdlet" && r.Measured))
        {
            double engineBatch = RowSet.Ns(rows, "batch", "x86_64", "Colocated", "1", cmdlet.Transport.Length > 0 ? cmdlet.Transport : "Ptrace");
            yield return new($"cmdlets, {Form(cmdlet)}{Over(cmdlet)}: us/op over the engine batch", (cmdlet.NsPerOp - engineBatch) / 1000, 3, " us");
        }

        // Doorbell issue: the single path within 2x native, the batch no slower than Ptrace's, the pipeline no slower.
        double Doorbell(string way, string affinity, string pages = "1") => RowSet.Ns(rows, way, "x86_64", affinity, pages, "Doorbell");
        foreach (string affinity in new[] { "Colocated", "Any" })
        {
            yield return new($"Doorbell single / native ({affinity})", Doorbell("single", affinity) / native, 2, "x");
            foreach (string pages in new[] { "1", "16" })
            {
                yield return new($"Doorbell batch / Ptrace batch, {pages} page(s) ({affinity})", Doorbell("batch", affinity, pages) / Ns("batch", affinity, pages), 1, "x");
            }
        }
        foreach (var cmdlet in rows.Where(r => r.Way == "cmdlet" && r.Transport == "Doorbell" && r.Measured))
        {
            var overPtrace = rows.FirstOrDefault(r => r.Way == "cmdlet" && r.Transport == "Ptrace" && Form(r) == Form(cmdlet) && r.Measured);
            yield return new($"cmdlets, {Form(cmdlet)}: Doorbell / Ptrace", cmdlet.NsPerOp / (overPtrace?.NsPerOp ?? double.NaN), 1, "x");
        }
        foreach (var idle in rows.Where(r => r.Way == "idle-cpu" && r.Measured))
        {
            yield return new($"idle Doorbell stub + tracer, ms CPU per idle s ({idle.Affinity})", idle.NsPerOp / 1e6, 0, " ms");
        }

        foreach (var target in Files(rows, native))
        {
            yield return target;
        }
    }

    /// <summary>Files issue: a million-op CSV read by the engine near native; the per-object pipeline near PowerShell's floor.</summary>
    private static IEnumerable<Target> Files(IReadOnlyList<BenchRow> rows, double native)
    {
        double Any(string way) => rows.FirstOrDefault(r => r.Way == way && r.Measured)?.NsPerOp ?? double.NaN;
        yield return new("Invoke-VmFlush -Path, 1M ops -Summary / native", Any("file") / native, 1.3, "x");
        yield return new("Import-Csv|Add-VmOp|Invoke-VmFlush / floor", Any("pipeline") / Any("floor"), 1.2, "x");
    }

    private static string Form(BenchRow cmdlet) => cmdlet.Note.Split(';')[0].Replace("Add-VmOp | Invoke-VmFlush over ", "", StringComparison.Ordinal);

    private static string Over(BenchRow row) => row.Transport.Length > 0 ? $" over {row.Transport}" : "";

    public static void Print(IReadOnlyList<BenchRow> rows, string runId)
    {
        Console.WriteLine($"Targets, all from run {runId}:");
        foreach (var t in All(rows))
        {
            if (double.IsNaN(t.Value))
            {
                Console.WriteLine($"  {t.Name,-52} {"n/a",8}  (not measured in this run)");
                continue;
            }
            string verdict = t.Value <= t.Limit ? "met" : "missed";
            string limit = t.Limit.ToString(t.Limit < 1 ? "F3" : "F2", CultureInfo.InvariantCulture);
            Console.WriteLine($"  {t.Name,-52} {t.Value.ToString("F2", CultureInfo.InvariantCulture),7}{t.Unit}  (target <= {limit}{t.Unit})  {verdict}");
        }
        Console.WriteLine();
    }
}
