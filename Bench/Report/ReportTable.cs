using System.Globalization;
using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Report;

/// <summary>The table of a run: every row with its ratio to native and to the C reference program's numbers.</summary>
internal static class ReportTable
{
    /// <summary>The reference C program's ns/op for the same row (ptrace-notes.md, measured before UmlTlb), or NaN.</summary>
    private static double NotesReference(BenchRow r) => r.Transport == "Doorbell" ? double.NaN : (r.Way, r.Architecture, r.Affinity, r.BatchPages) switch
    {
        ("native", _, _, _) => 1123,
        ("single", "x86_64", "Colocated", _) => 9244,
        ("single", "x86_64", "Any", _) => 41090,
        ("batch", "x86_64", "Colocated", "1") => 1233,
        ("batch", "x86_64", "Any", "1") => 1642,
        ("batch", "x86_64", "Colocated", "16") => 1135,
        ("batch", "x86_64", "Any", "16") => 1134,
        ("single", "i386", "Colocated", _) => 15142,
        ("single", "i386", "Any", _) => 47000,
        ("batch", "i386", "Colocated", "1") => 5898,
        ("batch", "i386", "Any", "1") => 6384,
        _ => double.NaN,
    };

    public static void Print(IReadOnlyList<BenchRow> rows)
    {
        double nativeNs = RowSet.NativeNs(rows);
        Console.WriteLine($"{"Way",-20} {"Transport",-9} {"Arch",-7} {"Affinity",-10} {"Pages",5} {"ns/op",9} {"x native",9} {"C ref",7} {"x C ref",8}  Note");
        foreach (var r in rows)
        {
            string ratio = r.IsWorkload && r.Measured && !double.IsNaN(nativeNs) ? (r.NsPerOp / nativeNs).ToString("F2", CultureInfo.InvariantCulture) : "";
            double reference = NotesReference(r);
            string refText = double.IsNaN(reference) ? "" : reference.ToString("F0", CultureInfo.InvariantCulture);
            string refRatio = double.IsNaN(reference) || !r.Measured ? "" : (r.NsPerOp / reference).ToString("F2", CultureInfo.InvariantCulture);
            string ns = r.Measured ? r.NsPerOp.ToString("F0", CultureInfo.InvariantCulture) : "n/a";
            Console.WriteLine($"{r.Way,-20} {r.Transport,-9} {r.Architecture,-7} {r.Affinity,-10} {r.BatchPages,5} {ns,9} {ratio,9} {refText,7} {refRatio,8}  {r.Note}");
        }
        Console.WriteLine("(C ref: the C program of ptrace-notes.md, measured before UmlTlb; the c-* rows are the same-run C reference.)");
        Console.WriteLine();
    }
}
