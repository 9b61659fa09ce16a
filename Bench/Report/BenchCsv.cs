using System.Globalization;
using System.Text;
using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Report;

/// <summary>
/// The CSV every part of a run appends to (this program, Bench/cmdlet-bench.ps1): one row per measurement,
/// invariant culture, comma separated, no quoting (a Note never contains a comma). Columns are read by name.
/// </summary>
internal static class BenchCsv
{
    public static readonly string[] Columns = ["RunId", "Way", "Architecture", "Affinity", "BatchPages", "N", "Ops", "Repetitions", "NsPerOp", "RatioToNative", "Note", "Transport"];

    /// <summary>Columns a CSV written before they existed may lack (read as empty).</summary>
    private static readonly string[] Optional = ["Transport"];

    public static void Append(string path, string runId, IEnumerable<BenchRow> rows, double nativeNs)
    {
        bool header = !File.Exists(path) || new FileInfo(path).Length == 0;
        var sb = new StringBuilder();
        if (header)
        {
            sb.AppendLine(string.Join(',', Columns));
        }
        foreach (var r in rows)
        {
            string ns = r.Measured ? r.NsPerOp.ToString("F1", CultureInfo.InvariantCulture) : "";
            string ratio = r.IsWorkload && r.Measured && !double.IsNaN(nativeNs) ? (r.NsPerOp / nativeNs).ToString("F3", CultureInfo.InvariantCulture) : "";
            sb.AppendLine(string.Join(',', runId, r.Way, r.Architecture, r.Affinity, r.BatchPages, r.N.ToString(CultureInfo.InvariantCulture),
                r.Ops.ToString(CultureInfo.InvariantCulture), r.Repetitions.ToString(CultureInfo.InvariantCulture), ns, ratio, r.Note.Replace(',', ';'), r.Transport));
        }
        File.AppendAllText(path, sb.ToString());
    }

    /// <summary>The rows of one run, in the order they were appended.</summary>
    public static List<BenchRow> Read(string path, string runId)
    {
        var lines = File.ReadAllLines(path);
        if (lines.Length == 0)
        {
            throw new InvalidDataException($"{path} is empty.");
        }
        var index = lines[0].Split(',').Select((name, i) => (name, i)).ToDictionary(c => c.name, c => c.i, StringComparer.Ordinal);
        foreach (string column in Columns.Where(c => !index.ContainsKey(c) && !Optional.Contains(c)))
        {
            throw new InvalidDataException($"{path} has no column {column}.");
        }
        var rows = new List<BenchRow>();
        foreach (string line in lines.Skip(1).Where(l => l.Length > 0))
        {
            var f = line.Split(',');
            string Get(string column) => index.TryGetValue(column, out int i) && i < f.Length ? f[i] : "";
            if (Get("RunId") != runId)
            {
                continue;
            }
            double ns = double.TryParse(Get("NsPerOp"), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : double.NaN;
            rows.Add(new BenchRow(Get("Way"), Get("Architecture"), Get("Affinity"), Get("BatchPages"),
                int.Parse(Get("N"), CultureInfo.InvariantCulture), long.Parse(Get("Ops"), CultureInfo.InvariantCulture),
                int.Parse(Get("Repetitions"), CultureInfo.InvariantCulture), ns, double.NaN, double.NaN, Get("Note"), Get("Transport")));
        }
        return rows;
    }
}
