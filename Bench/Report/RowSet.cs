using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Report;

/// <summary>Looking rows of one run up by what they measured.</summary>
internal static class RowSet
{
    public static double NativeNs(IEnumerable<BenchRow> rows) => Ns(rows, "native", "x86_64", "", "");

    /// <summary>
    /// The first measured row's ns/op, or NaN when the run has no such row. Rows that ran through the
    /// engine are told apart by <paramref name="transport"/> (Ptrace unless said; "" rows, like native and
    /// the C reference, match any).
    /// </summary>
    public static double Ns(IEnumerable<BenchRow> rows, string way, string arch, string affinity, string pages, string transport = "Ptrace") =>
        rows.FirstOrDefault(r => r.Way == way && r.Architecture == arch && (way == "native" || (r.Affinity == affinity && r.BatchPages == pages))
            && (r.Transport.Length == 0 || r.Transport == transport) && r.Measured)?.NsPerOp
        ?? double.NaN;
}
