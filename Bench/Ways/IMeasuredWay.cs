using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// One way of running the workload (or a part of it) that the benchmark measures. A new way is a new
/// file implementing this and one line in <see cref="Program.Ways"/>; its rows then reach the table, the
/// CSV and the targets without further changes.
/// </summary>
internal interface IMeasuredWay
{
    /// <summary>The name --ways selects it by; several registered ways may share one.</summary>
    string Name { get; }

    /// <summary>Measures and adds its rows to <paramref name="run"/>.</summary>
    void Run(BenchRun run);
}
