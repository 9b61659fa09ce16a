namespace UmlTlb.Bench.Core;

/// <summary>
/// One measurement: a line of the table and of the CSV. NsPerOp is NaN when the row could not be
/// measured (Note says why); Min and Max are NaN for rows read back from a CSV. Transport is the
/// engine's (Ptrace or Doorbell) for rows that run a stub through it, empty for the others.
/// </summary>
internal sealed record BenchRow(string Way, string Architecture, string Affinity, string BatchPages, int N, long Ops,
    int Repetitions, double NsPerOp, double Min, double Max, string Note, string Transport = "")
{
    public string Label => $"{Way} {Architecture} {Affinity} {(BatchPages.Length > 0 ? BatchPages + "p" : "")} {Transport}".Trim();

    /// <summary>Rows of the workload (3N address-space ops), which have a ratio to native; the others time round trips.</summary>
    public bool IsWorkload => Way is "native" or "single" or "batch" or "cmdlet" or "c-single" or "c-batch" or "file-engine" or "file" or "pipeline";

    public bool Measured => !double.IsNaN(NsPerOp);
}
