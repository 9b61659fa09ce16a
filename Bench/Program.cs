// UmlTlb benchmark: the cost of address-space ops run in a traced stub, against the same syscalls native.
//
// RUN
//   dotnet run -c Release --project Bench -- [options]          (from the repository root)
//   build.ps1 Bench [-Quick] [options] runs this, then the cmdlet rows and the C reference, then the report.
//   options:
//     --n N          pages in the workload (default 4096): map N separate pages of the physical-memory
//                    file (MAP_SHARED|MAP_FIXED), mprotect each read-only, munmap each = 3N ops.
//     --reps R       timed repetitions per row (default 5); the table shows the median.
//     --warmup W     untimed repetitions before them (default 1).
//     --quick        smoke test: N = 256, 2 repetitions, 1 warm-up.
//     --ways LIST    only these ways, comma separated (default all): see Ways below.
//     --csv PATH     append the rows to PATH (header written when the file is new or empty).
//     --run-id ID    the RunId column (default: UTC start time, yyyyMMddTHHmmssZ).
//     --cref EXE     the compiled C reference (Bench/cref/cref.c); without it the cref way is skipped.
//     --no-report    measure and write the CSV, but print no table and no targets (build.ps1 reports at the end).
//     --report CSV --run-id ID   measure nothing: print the table and the targets of that run of the CSV.
//     --chart CSV --svg PATH     measure nothing: draw the Measure-VmBatch rows of CSV (ns/op against batch
//                    size, a line per architecture and transport, the native baseline) as SVG (Report/BatchChart.cs).
//     --no-runtime-sigchld  do not make the runtime install its SIGCHLD handler first (see below).
//     --nocldstop    add SA_NOCLDSTOP to SIGCHLD for the whole run (restored at the end): what the engine
//                    would get if it set the flag itself; the rows' Note then says "nocldstop".
//   The whole default run takes well under 2 minutes on 2 vCPUs.
//
// LAYOUT: one file per measured way in Ways/ (each an IMeasuredWay, registered in Ways below, in the order
// they run); what they share in Core/ (options, timing, rows, stub start-up); the table, the targets and the
// CSV in Report/. The cmdlet way is Bench/cmdlet-bench.ps1 (it needs PowerShell and the built module).
//
// CSV (one row per measurement, invariant culture, comma separated, header:
//   RunId,Way,Architecture,Affinity,BatchPages,N,Ops,Repetitions,NsPerOp,RatioToNative,Note,Transport
//   RunId         same for every row of one run; pass --run-id to give the cmdlet rows the same id.
//   Way           native | single | batch | cmdlet | c-single | c-batch   workload rows: NsPerOp = median time / Ops
//                 rt-caller | rt-caller-raw | rt-tracer | rt-tracer-raw
//                 rt-sigchld | rt-nocldstop | rt-tracer-sigchld | rt-tracer-nocldstop
//                                                             round-trip rows (munmap of 0 bytes), NsPerOp = per round trip
//                 csv-parse | file-engine | trace              files read by the engine (Ways/SourceFlushWay.cs): parsing alone
//                                                             per row; a million-op CSV of the workload mix; the shipped strace
//                 file | pipeline | floor                     Bench/file-bench.ps1: Invoke-VmFlush -Path of the same CSV;
//                                                             Import-Csv | Add-VmOp | Invoke-VmFlush and the do-nothing floor (Floor/)
//                 idle-cpu                                    NsPerOp = CPU ns per second of an idle Doorbell stub + its tracer
//                 batch-shadow | batch-noshadow                the batch workload with the shadow following every
//                                                             result and with it paused, alternating in one run
//                 sync | sync-queue                           Sync-VmRange of N dirty pages against the same N mmaps
//                                                             queued and flushed; NsPerOp = per page (Ops = N)
//   Architecture  x86_64 | i386 (native: the bench process, x86_64)
//   Affinity      Colocated | Any (native: empty)
//   BatchPages    data-area pages of the stub (native: empty)
//   N             pages of the workload (round-trip rows: number of round trips)
//   Ops           ops timed per repetition (3N for the workload, N for round-trip rows)
//   NsPerOp       median ns per op; EMPTY when the row could not be measured (Note says why, e.g. "n/a: ...")
//   RatioToNative NsPerOp / the native row's NsPerOp of the same RunId (empty for round-trip rows)
//   Note          free text, never contains a comma
//   Transport     Ptrace | Doorbell for rows that ran through a stub of the engine (empty: native, C reference)
// The cmdlet pipeline (Add-VmOp | Invoke-VmFlush over the same 3N objects) is measured by a PowerShell
// script, which appends rows with Way=cmdlet and the same columns; it computes RatioToNative from the
// Way=native row of its RunId:
//   dotnet run -c Release --project Bench -- --csv bench.csv --run-id R1
//   pwsh ./Bench/cmdlet-bench.ps1 -Csv bench.csv -RunId R1
//   dotnet run -c Release --project Bench -- --report bench.csv --run-id R1
//
// SIGCHLD: a plain console app leaves SIGCHLD at SIG_DFL, and then the kernel drops the SIGCHLD of every
// ptrace stop for free. A PowerShell host has the runtime's handler (System.Native installs it with its
// terminal/signal set-up, and Process registers its child callback on it). To measure what the engine
// costs in such a host, the bench starts /bin/true through System.Diagnostics.Process once before
// anything else, which installs that handler; --no-runtime-sigchld skips this.
//
// Reference numbers (ns/op) come from a C program on this machine kind: /work/shared/design/ptrace-notes.md.

using System.Diagnostics;
using UmlTlb.Bench.Core;
using UmlTlb.Bench.Report;
using UmlTlb.Bench.Ways;
using UmlTlb.Native;

namespace UmlTlb.Bench;

internal static class Program
{
    /// <summary>Every measured way, in the order they run; --ways filters by name. A new way: one file, one line here.</summary>
    internal static readonly IMeasuredWay[] Ways =
    [
        new NativeWay(),
        new EngineSingleWay("single", StubArchitecture.x86_64, StubTransport.Ptrace),
        new EngineSingleWay("doorbell", StubArchitecture.x86_64, StubTransport.Doorbell),
        new EngineBatchWay("batch", StubArchitecture.x86_64, StubTransport.Ptrace, 1, 4, 16, 64),
        new EngineBatchWay("doorbell", StubArchitecture.x86_64, StubTransport.Doorbell, 1, 16),
        new EngineSingleWay("i386", StubArchitecture.i386, StubTransport.Ptrace),
        new EngineSingleWay("i386", StubArchitecture.i386, StubTransport.Doorbell),
        new EngineBatchWay("i386", StubArchitecture.i386, StubTransport.Ptrace, 1, 16),
        new EngineBatchWay("i386", StubArchitecture.i386, StubTransport.Doorbell, 1, 16),
        new SourceFlushWay(),
        new NativeWay(), // again after the engine rows: the two are pooled into one row
        new HandOffWay(StubTransport.Ptrace),
        new HandOffWay(StubTransport.Doorbell),
        new SigchldWay(),
        new IdleCpuWay(),
        new CReferenceWay(),
        new ShadowWay(),
        new SyncWay(),
    ];

    private static int Main(string[] args)
    {
        BenchOptions options;
        try
        {
            options = BenchOptions.Parse(args);
            if (options.Ways is { } wanted && wanted.FirstOrDefault(w => !Ways.Any(way => way.Name.Equals(w, StringComparison.OrdinalIgnoreCase))) is { } unknown)
            {
                throw new ArgumentException($"--ways: there is no way '{unknown}'; the ways are {string.Join(',', Ways.Select(w => w.Name).Distinct())}.");
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        if (options.ChartCsv is { } chartCsv)
        {
            string svg = options.ChartSvg ?? Path.ChangeExtension(chartCsv, ".svg");
            BatchChart.Write(chartCsv, svg, $"UmlTlb: ns per op against batch size (run {options.RunId})");
            Console.WriteLine($"Wrote {svg}.");
            return 0;
        }
        if (options.ReportCsv is { } csv)
        {
            var rows = BenchCsv.Read(csv, options.RunId);
            ReportTable.Print(rows);
            Targets.Print(rows, options.RunId);
            return 0;
        }
        return Measure(options);
    }

    private static int Measure(BenchOptions options)
    {
        var total = Stopwatch.StartNew();
        Console.WriteLine($"UmlTlb bench: N = {options.N} pages, 3N = {3 * options.N} ops, {options.Reps} repetitions (median), {options.Warmup} warm-up; " +
                          $"{Environment.ProcessorCount} CPUs, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, .NET {Environment.Version}");
        Console.Write($"SIGCHLD disposition at start: {Sigchld.Describe(Sigchld.Read())}");
        if (options.RuntimeSigchld)
        {
            // As in a PowerShell host: the runtime's SIGCHLD handler, with Process's child callback on it.
            using (var child = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false }))
            {
                child?.WaitForExit();
            }
            Console.Write($"; after Process.Start: {Sigchld.Describe(Sigchld.Read())}");
        }
        Console.WriteLine();
        Console.WriteLine();
        var startDisposition = Sigchld.Read();
        if (options.NoCldStop)
        {
            Sigchld.Write(startDisposition with { flags = startDisposition.flags | Interop.SA_NOCLDSTOP });
            Console.WriteLine($"--nocldstop: SIGCHLD is now {Sigchld.Describe(Sigchld.Read())} for the whole run.");
        }
        var run = new BenchRun(options);
        try
        {
            foreach (var way in Ways.Where(w => options.Wants(w.Name)))
            {
                way.Run(run);
            }
        }
        finally
        {
            Sigchld.Write(startDisposition);
        }

        Console.WriteLine();
        if (options.Report)
        {
            ReportTable.Print(run.Rows);
            Targets.Print(run.Rows, options.RunId);
        }
        if (options.CsvPath is not null)
        {
            BenchCsv.Append(options.CsvPath, options.RunId, run.Rows, run.NativeNs);
            Console.WriteLine($"Appended {run.Rows.Count} rows to {options.CsvPath} (RunId {options.RunId}).");
        }
        Console.WriteLine($"Total time {total.Elapsed.TotalSeconds:F1} s.");
        return 0;
    }
}
