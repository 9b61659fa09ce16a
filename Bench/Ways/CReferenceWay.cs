using System.Diagnostics;
using System.Globalization;
using UmlTlb.Abi;
using UmlTlb.Bench.Core;
using UmlTlb.Processes;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// The same-run C baseline (Bench/cref/cref.c, compiled by build.ps1 Bench and passed as --cref): the engine's
/// own x86_64 stub driven with plain ptrace, single path and 1-page batch, so that the engine is compared with C
/// on the machine as it is during this run. Skipped when no --cref was given.
/// </summary>
internal sealed class CReferenceWay : IMeasuredWay
{
    public string Name => "cref";

    public void Run(BenchRun run)
    {
        if (run.Options.CReference is not { } exe)
        {
            Console.WriteLine("C reference: skipped (no --cref EXE; build.ps1 Bench compiles Bench/cref/cref.c and passes it)");
            return;
        }
        // The engine's own sealed stub memfd, which the C program (a child of this process) execs by path.
        string stubPath = $"/proc/{Environment.ProcessId}/fd/{StubExecutable.For(StubAbi.For(StubArchitecture.x86_64)).File.Fd}";
        int n = run.N;
        foreach (var affinity in EngineStubs.Affinities)
        {
            Console.WriteLine($"C reference ({exe}), x86_64, {affinity}");
            var runs = RunProgram(exe, stubPath, n, affinity);
            foreach (var (way, column) in new[] { ("c-single", 1), ("c-batch", 2) })
            {
                var values = runs.Select(r => r[column]).ToArray();
                run.AddRow(new BenchRow(way, "x86_64", affinity.ToString(), "1", n, 3L * n, values.Length,
                    BenchRun.Median(values), values.Min(), values.Max(), "C program; SETREGS+CONT+waitpid per round trip"));
            }
        }
    }

    /// <summary>Runs the program once; it prints one line per repetition: roundtrip,single,batch in ns per op.</summary>
    private static List<double[]> RunProgram(string exe, string stubPath, int n, StubAffinity affinity)
    {
        var info = new ProcessStartInfo(exe) { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { stubPath, n.ToString(CultureInfo.InvariantCulture), affinity == StubAffinity.Colocated ? "colo" : "any", "nohandler" })
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{exe} did not start.");
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The C reference {exe} failed (exit code {process.ExitCode}).");
        }
        var runs = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray())
            .ToList();
        if (runs.Count == 0 || runs.Any(r => r.Length != 3))
        {
            throw new InvalidOperationException($"The C reference {exe} printed something else than roundtrip,single,batch lines: {output}");
        }
        return runs;
    }
}
