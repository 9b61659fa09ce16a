using System.Globalization;

namespace UmlTlb.Bench.Core;

/// <summary>The command line of the benchmark (see Program.cs for what each option means).</summary>
internal sealed class BenchOptions
{
    public const string Usage =
        "usage: UmlTlb.Bench [--n N] [--reps R] [--warmup W] [--quick] [--ways LIST] [--csv PATH] [--run-id ID] " +
        "[--cref EXE] [--no-report] [--no-runtime-sigchld] [--nocldstop] | --report CSV --run-id ID | --chart CSV --svg PATH";

    public int N { get; private set; } = 4096;
    public int Reps { get; private set; } = 5;
    public int Warmup { get; private set; } = 1;
    public string? CsvPath { get; private set; }
    public string RunId { get; private set; } = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
    public bool RunIdGiven { get; private set; }

    /// <summary>--quick: also shortens the ways that wait rather than repeat (idle CPU: 1 s instead of 10).</summary>
    public bool Quick { get; private set; }

    /// <summary>The --ways filter; null runs every registered way.</summary>
    public HashSet<string>? Ways { get; private set; }

    /// <summary>The compiled C reference program (Bench/cref/cref.c); without it the cref way is skipped.</summary>
    public string? CReference { get; private set; }

    /// <summary>Print the table and the targets after measuring (--no-report: build.ps1 reports once, at the end).</summary>
    public bool Report { get; private set; } = true;

    public bool RuntimeSigchld { get; private set; } = true;
    public bool NoCldStop { get; private set; }

    /// <summary>Chart mode: draw the Measure-VmBatch rows of this CSV as an SVG chart (<see cref="ChartSvg"/>), measure nothing.</summary>
    public string? ChartCsv { get; private set; }

    public string? ChartSvg { get; private set; }

    /// <summary>Report mode: print the table and the targets of one run already in this CSV, measure nothing.</summary>
    public string? ReportCsv { get; private set; }

    public bool Wants(string way) => Ways is null || Ways.Contains(way);

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            int NextInt()
            {
                string name = args[i];
                string value = Next();
                return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
                    ? n
                    : throw new ArgumentException($"{name} takes a whole number, not '{value}'.");
            }
            switch (args[i])
            {
                case "--n": o.N = NextInt(); break;
                case "--reps": o.Reps = NextInt(); break;
                case "--warmup": o.Warmup = NextInt(); break;
                case "--quick": o.N = 256; o.Reps = 2; o.Warmup = 1; o.Quick = true; break;
                case "--csv": o.CsvPath = Next(); break;
                case "--run-id": o.RunId = Next(); o.RunIdGiven = true; break;
                case "--cref": o.CReference = Next(); break;
                case "--report": o.ReportCsv = Next(); break;
                case "--chart": o.ChartCsv = Next(); break;
                case "--svg": o.ChartSvg = Next(); break;
                case "--no-report": o.Report = false; break;
                case "--no-runtime-sigchld": o.RuntimeSigchld = false; break;
                case "--nocldstop": o.NoCldStop = true; break;
                case "--ways":
                    o.Ways = new(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase);
                    break;
                case "-h" or "--help": throw new ArgumentException(Usage);
                default: throw new ArgumentException($"Unknown option {args[i]}; --help lists them.");
            }
        }
        if (o.N < 1 || o.Reps < 1 || o.Warmup < 0)
        {
            throw new ArgumentException("--n and --reps must be at least 1, --warmup at least 0.");
        }
        if (o.ReportCsv is not null && !o.RunIdGiven)
        {
            throw new ArgumentException("--report needs --run-id: the run whose rows to report.");
        }
        return o;
    }
}
