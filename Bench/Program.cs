// UmlTlb benchmark: the cost of address-space ops run in a traced stub, against the same syscalls native.
//
// RUN
//   dotnet run -c Release --project Bench -- [options]          (from the repository root)
//   options:
//     --n N          pages in the workload (default 4096): map N separate pages of the physical-memory
//                    file (MAP_SHARED|MAP_FIXED), mprotect each read-only, munmap each = 3N ops.
//     --reps R       timed repetitions per row (default 5); the table shows the median.
//     --warmup W     untimed repetitions before them (default 1).
//     --quick        smoke test: N = 256, 2 repetitions, 1 warm-up.
//     --ways LIST    only these parts, comma separated: native,single,batch,i386,handoff,sigchld (default all).
//     --csv PATH     append the rows to PATH (header written when the file is new or empty).
//     --run-id ID    the RunId column (default: UTC start time, yyyyMMddTHHmmssZ).
//     --no-runtime-sigchld  do not make the runtime install its SIGCHLD handler first (see below).
//     --nocldstop    add SA_NOCLDSTOP to SIGCHLD for the whole run (restored at the end): what the engine
//                    would get if it set the flag itself; the rows' Note then says "nocldstop".
//   The whole default run takes well under 2 minutes on 2 vCPUs.
//
// CSV (one row per measurement, invariant culture, comma separated, header:
//   RunId,Way,Architecture,Affinity,BatchPages,N,Ops,Repetitions,NsPerOp,RatioToNative,Note
//   RunId         same for every row of one run; pass --run-id to give the cmdlet rows the same id.
//   Way           native | single | batch | cmdlet            workload rows: NsPerOp = median time / Ops
//                 rt-caller | rt-caller-raw | rt-tracer | rt-tracer-raw
//                 rt-sigchld | rt-nocldstop | rt-tracer-sigchld | rt-tracer-nocldstop
//                                                             round-trip rows (getpid), NsPerOp = per round trip
//   Architecture  x86_64 | i386 (native: the bench process, x86_64)
//   Affinity      Colocated | Any (native: empty)
//   BatchPages    data-area pages of the stub (native: empty)
//   N             pages of the workload (round-trip rows: number of round trips)
//   Ops           ops timed per repetition (3N for the workload, N for round-trip rows)
//   NsPerOp       median ns per op; EMPTY when the row could not be measured (Note says why, e.g. "n/a: ...")
//   RatioToNative NsPerOp / the native row's NsPerOp of the same RunId (empty for round-trip rows)
//   Note          free text, never contains a comma
// The cmdlet pipeline (Add-VmOp | Invoke-VmFlush over the same 3N objects) is measured by a PowerShell
// script, which appends rows with Way=cmdlet and the same columns; it computes RatioToNative from the
// Way=native row of its RunId:
//   dotnet run -c Release --project Bench -- --csv bench.csv --run-id R1
//   pwsh ./Bench/cmdlet-bench.ps1 -Csv bench.csv -RunId R1   (lead's script)
//   Import-Csv bench.csv | Where-Object RunId -eq R1 | Format-Table
//
// SIGCHLD: a plain console app leaves SIGCHLD at SIG_DFL, and then the kernel drops the SIGCHLD of every
// ptrace stop for free. A PowerShell host has the runtime's handler (System.Native installs it with its
// terminal/signal set-up, and Process registers its child callback on it). To measure what the engine
// costs in such a host, the bench starts /bin/true through System.Diagnostics.Process once before
// anything else, which installs that handler; --no-runtime-sigchld skips this.
//
// Reference numbers (ns/op) come from a C program on this machine kind: /work/shared/design/ptrace-notes.md.

using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using UmlTlb;
using UmlTlb.Abi;
using UmlTlb.Native;
using UmlTlb.Tracing;

namespace UmlTlb.Bench;

internal static unsafe class Program
{
    private const ulong Page = 4096;

    /// <summary>Where the workload's pages go: low, far from anything the kernel picks on its own, below any stub's code.</summary>
    private const ulong WorkloadBase = 0x10000000;

    private static int N = 4096;
    private static int Reps = 5;
    private static int Warmup = 1;
    private static string? CsvPath;
    private static string RunId = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
    private static HashSet<string> Ways = new(StringComparer.OrdinalIgnoreCase) { "native", "single", "batch", "i386", "handoff", "sigchld" };
    private static readonly List<Row> Rows = new();
    private static double NativeNs = double.NaN;
    private static bool RuntimeSigchld = true;
    private static bool NoCldStop;

    private static int Main(string[] args)
    {
        try
        {
            ParseArgs(args);
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            return 2;
        }
        var total = Stopwatch.StartNew();
        Console.WriteLine($"UmlTlb bench: N = {N} pages, 3N = {3 * N} ops, {Reps} repetitions (median), {Warmup} warm-up; " +
                          $"{Environment.ProcessorCount} CPUs, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, .NET {Environment.Version}");
        Console.Write($"SIGCHLD disposition at start: {Sigchld.Describe(Sigchld.Read())}");
        if (RuntimeSigchld)
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
        if (NoCldStop)
        {
            Sigchld.Write(startDisposition with { flags = startDisposition.flags | Interop.SA_NOCLDSTOP });
            Console.WriteLine($"--nocldstop: SIGCHLD is now {Sigchld.Describe(Sigchld.Read())} for the whole run.");
        }
        try
        {
            RunAll();
        }
        finally
        {
            Sigchld.Write(startDisposition);
        }

        Console.WriteLine();
        PrintTable();
        PrintTargets();
        if (CsvPath is not null)
        {
            WriteCsv(CsvPath);
            Console.WriteLine($"Appended {Rows.Count} rows to {CsvPath} (RunId {RunId}).");
        }
        Console.WriteLine($"Total time {total.Elapsed.TotalSeconds:F1} s.");
        return 0;
    }

    private static void RunAll()
    {
        if (Ways.Contains("native"))
        {
            RunNative();
        }
        foreach (var affinity in new[] { StubAffinity.Colocated, StubAffinity.Any })
        {
            if (Ways.Contains("single"))
            {
                RunEngineSingle(StubArchitecture.x86_64, affinity);
            }
            if (Ways.Contains("batch"))
            {
                foreach (int pages in new[] { 1, 4, 16, 64 })
                {
                    RunEngineBatch(StubArchitecture.x86_64, affinity, pages);
                }
            }
        }
        if (Ways.Contains("i386"))
        {
            foreach (var affinity in new[] { StubAffinity.Colocated, StubAffinity.Any })
            {
                RunEngineSingle(StubArchitecture.i386, affinity);
                RunEngineBatch(StubArchitecture.i386, affinity, 1);
                RunEngineBatch(StubArchitecture.i386, affinity, 16);
            }
        }
        if (Ways.Contains("native"))
        {
            RunNative();
        }
        if (Ways.Contains("handoff"))
        {
            foreach (var affinity in new[] { StubAffinity.Colocated, StubAffinity.Any })
            {
                RunHandOff(affinity);
            }
        }
        if (Ways.Contains("sigchld"))
        {
            foreach (var affinity in new[] { StubAffinity.Colocated, StubAffinity.Any })
            {
                RunSigchld(affinity);
            }
        }
    }

    private static void ParseArgs(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
            switch (args[i])
            {
                case "--n": N = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--reps": Reps = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--warmup": Warmup = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--quick": N = 256; Reps = 2; Warmup = 1; break;
                case "--csv": CsvPath = Next(); break;
                case "--run-id": RunId = Next(); break;
                case "--no-runtime-sigchld": RuntimeSigchld = false; break;
                case "--nocldstop": NoCldStop = true; break;
                case "--ways": Ways = new(Next().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries), StringComparer.OrdinalIgnoreCase); break;
                case "-h" or "--help":
                    throw new ArgumentException("usage: UmlTlb.Bench [--n N] [--reps R] [--warmup W] [--quick] [--ways native,single,batch,i386,handoff,sigchld] [--csv PATH] [--run-id ID] [--no-runtime-sigchld] [--nocldstop]");
                default: throw new ArgumentException($"Unknown option {args[i]}; --help lists them.");
            }
        }
        if (N < 1 || Reps < 1 || Warmup < 0)
        {
            throw new ArgumentException("--n and --reps must be at least 1, --warmup at least 0.");
        }
    }

    // ---- workload ----------------------------------------------------------------------------------------

    /// <summary>Page i of the workload: every other page, so that no two ops are contiguous and nothing merges.</summary>
    private static ulong AddressOf(int i) => WorkloadBase + (ulong)i * 2 * Page;

    private static ulong OffsetOf(int i, ulong physicalSize) => ((ulong)i * Page) % physicalSize;

    /// <summary>Warm-up, then <see cref="Reps"/> timed runs; returns each run's elapsed Stopwatch ticks.</summary>
    private static long[] Measure(Func<long> timedRun)
    {
        for (int w = 0; w < Warmup; w++)
        {
            timedRun();
        }
        var ticks = new long[Reps];
        for (int r = 0; r < Reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            ticks[r] = timedRun();
        }
        return ticks;
    }

    private static double NsPer(long ticks, long ops) => ticks * 1e9 / Stopwatch.Frequency / ops;

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        int m = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    private static Row AddRow(string way, string arch, string affinity, string pages, int n, long ops, long[] ticks, string note = "")
    {
        var ns = ticks.Select(t => NsPer(t, ops)).ToArray();
        if (NoCldStop && !way.StartsWith("rt-", StringComparison.Ordinal))
        {
            note = note.Length > 0 ? note + "; nocldstop" : "nocldstop";
        }
        var row = new Row(way, arch, affinity, pages, n, ops, Median(ns), ns.Min(), ns.Max(), note);
        Rows.Add(row);
        Console.WriteLine($"  {row.Label,-44} {row.NsPerOp,9:F0} ns/op  (min {row.Min:F0}, max {row.Max:F0}){(note.Length > 0 ? "  " + note : "")}");
        return row;
    }

    private static void AddMissing(string way, string arch, string affinity, string pages, int n, long ops, string note)
    {
        var row = new Row(way, arch, affinity, pages, n, ops, double.NaN, double.NaN, double.NaN, note.Replace(',', ';'));
        Rows.Add(row);
        Console.WriteLine($"  {row.Label,-44} {"n/a",9}        {row.Note}");
    }

    private static readonly List<long> NativeTicks = new();

    private static void RunNative()
    {
        Console.WriteLine("native: the same syscalls in this process, on its own 64 MiB memfd");
        const ulong size = StubStartOptions.DefaultPhysicalMemorySize;
        int fd = NativeCalls.memfd_create("umltlb-bench-native", 1 /* MFD_CLOEXEC */);
        if (fd < 0 || NativeCalls.ftruncate(fd, (long)size) != 0)
        {
            throw new InvalidOperationException($"memfd for the native run: errno {Marshal.GetLastPInvokeError()}");
        }
        ulong span = AddressOf(N - 1) + Page - WorkloadBase;
        try
        {
            var ticks = Measure(() =>
            {
                // The range must be free: check it with MAP_FIXED_NOREPLACE, then give it back.
                nint probe = NativeCalls.mmap((nint)WorkloadBase, (nuint)span, 0, NativeCalls.MAP_PRIVATE | NativeCalls.MAP_ANONYMOUS | NativeCalls.MAP_FIXED_NOREPLACE | NativeCalls.MAP_NORESERVE, -1, 0);
                if (probe != (nint)WorkloadBase)
                {
                    throw new InvalidOperationException($"0x{WorkloadBase:x}+0x{span:x} is not free in the bench process (errno {Marshal.GetLastPInvokeError()}).");
                }
                NativeCalls.munmap(probe, (nuint)span);

                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < N; i++)
                {
                    nint a = (nint)AddressOf(i);
                    if (NativeCalls.mmap(a, (nuint)Page, 3, NativeCalls.MAP_SHARED | NativeCalls.MAP_FIXED, fd, (long)OffsetOf(i, size)) != a)
                    {
                        throw new InvalidOperationException($"native mmap: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                for (int i = 0; i < N; i++)
                {
                    if (NativeCalls.mprotect((nint)AddressOf(i), (nuint)Page, 1) != 0)
                    {
                        throw new InvalidOperationException($"native mprotect: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                for (int i = 0; i < N; i++)
                {
                    if (NativeCalls.munmap((nint)AddressOf(i), (nuint)Page) != 0)
                    {
                        throw new InvalidOperationException($"native munmap: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                return Stopwatch.GetTimestamp() - start;
            });
            // Measured before and after the engine rows, pooled: the machine's speed drifts during a run.
            NativeTicks.AddRange(ticks);
            Rows.RemoveAll(r => r.Way == "native");
            NativeNs = AddRow("native", "x86_64", "", "", N, 3L * N, NativeTicks.ToArray(), "before and after the engine rows").NsPerOp;
        }
        finally
        {
            NativeCalls.close(fd);
        }
    }

    private static StubProcess? TryStart(StubArchitecture arch, StubAffinity affinity, int pages, string way, out string? error)
    {
        try
        {
            error = null;
            return StubProcess.Start(new StubStartOptions { Architecture = arch, Affinity = affinity, BatchPages = pages, Name = $"bench-{arch}-{affinity}-{pages}" });
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or UnixErrorException or StubExitedException)
        {
            error = $"n/a: {arch} stub did not start ({e.GetType().Name}: {e.Message})";
            AddMissing(way, arch.ToString(), affinity.ToString(), pages.ToString(CultureInfo.InvariantCulture), N, 3L * N, error);
            return null;
        }
    }

    private static void CheckFits(StubProcess stub)
    {
        if (AddressOf(N - 1) + Page > stub.UserAddressLimit)
        {
            throw new InvalidOperationException($"N = {N} does not fit below the {stub.Architecture} stub's UserAddressLimit 0x{stub.UserAddressLimit:x}.");
        }
    }

    /// <summary>One flush per op: every op takes the single path (syscall_stub), one round trip each.</summary>
    private static void RunEngineSingle(StubArchitecture arch, StubAffinity affinity)
    {
        Console.WriteLine($"engine single path, {arch}, {affinity}");
        var stub = TryStart(arch, affinity, 1, "single", out _);
        if (stub is null)
        {
            return;
        }
        try
        {
            CheckFits(stub);
            ulong size = stub.PhysicalMemorySize;
            long failed = 0;
            var inStub = new List<long>();
            void One(VmOpKind kind, ulong address, VmProtection protection, ulong offset)
            {
                stub.Enqueue(kind, address, Page, protection, offset);
                var summary = stub.BeginFlush().Complete(null);
                failed += summary.Failed + (summary.SingleCalls == 1 ? 0 : 1);
            }
            var ticks = Measure(() =>
            {
                long stubBefore = stub.Counters.TicksInStub;
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < N; i++)
                {
                    One(VmOpKind.Mmap, AddressOf(i), VmProtection.Read | VmProtection.Write, OffsetOf(i, size));
                }
                for (int i = 0; i < N; i++)
                {
                    One(VmOpKind.Mprotect, AddressOf(i), VmProtection.Read, 0);
                }
                for (int i = 0; i < N; i++)
                {
                    One(VmOpKind.Munmap, AddressOf(i), VmProtection.None, 0);
                }
                long elapsed = Stopwatch.GetTimestamp() - start;
                inStub.Add(stub.Counters.TicksInStub - stubBefore);
                if (failed != 0)
                {
                    throw new InvalidOperationException($"{failed} single-path ops failed or did not take the single path.");
                }
                return elapsed;
            });
            AddRow("single", arch.ToString(), affinity.ToString(), "1", N, 3L * N, ticks, Join(InStubNote(inStub), CpuNote(stub)));
        }
        finally
        {
            stub.Stop();
        }
    }

    /// <summary>All 3N ops streamed into one flush, as Add-VmOp | Invoke-VmFlush does: full data areas run as they fill.</summary>
    private static void RunEngineBatch(StubArchitecture arch, StubAffinity affinity, int pages)
    {
        Console.WriteLine($"engine batch path, {arch}, {affinity}, {pages}-page data area");
        var stub = TryStart(arch, affinity, pages, "batch", out _);
        if (stub is null)
        {
            return;
        }
        try
        {
            CheckFits(stub);
            ulong size = stub.PhysicalMemorySize;
            long roundTrips = 0;
            var inStub = new List<long>();
            var ticks = Measure(() =>
            {
                long stubBefore = stub.Counters.TicksInStub;
                long start = Stopwatch.GetTimestamp();
                var flush = stub.BeginFlush();
                for (int i = 0; i < N; i++)
                {
                    stub.Enqueue(VmOpKind.Mmap, AddressOf(i), Page, VmProtection.Read | VmProtection.Write, OffsetOf(i, size));
                    flush.RunFullDataAreas(null);
                }
                for (int i = 0; i < N; i++)
                {
                    stub.Enqueue(VmOpKind.Mprotect, AddressOf(i), Page, VmProtection.Read, 0);
                    flush.RunFullDataAreas(null);
                }
                for (int i = 0; i < N; i++)
                {
                    stub.Enqueue(VmOpKind.Munmap, AddressOf(i), Page, VmProtection.None, 0);
                    flush.RunFullDataAreas(null);
                }
                var summary = flush.Complete(null);
                long elapsed = Stopwatch.GetTimestamp() - start;
                inStub.Add(stub.Counters.TicksInStub - stubBefore);
                if (summary.Failed != 0 || summary.Skipped != 0 || summary.HostOperations != 3L * N)
                {
                    throw new InvalidOperationException($"batch flush: {summary.Failed} failed, {summary.Skipped} skipped, {summary.HostOperations} host ops (expected {3L * N}).");
                }
                roundTrips = summary.RoundTrips;
                return elapsed;
            });
            AddRow("batch", arch.ToString(), affinity.ToString(), pages.ToString(CultureInfo.InvariantCulture), N, 3L * N, ticks,
                Join($"capacity {stub.BatchCapacity}; {roundTrips} round trips", InStubNote(inStub), CpuNote(stub)));
        }
        finally
        {
            stub.Stop();
        }
    }

    private static string Join(params string[] parts) => string.Join("; ", parts.Where(p => p.Length > 0));

    /// <summary>
    /// Median ns/op of the timed runs spent in round trips (hand-off + ptrace + the stub's syscalls: the engine's
    /// TicksInStub); the rest of the row's time is the engine's own managed work (validate, queue, encode, results).
    /// </summary>
    private static string InStubNote(List<long> perRun) =>
        $"in round trips {Median(perRun.Skip(Warmup).Select(t => NsPer(t, 3L * N))):F0} ns/op";

    private static string CpuNote(StubProcess stub) => stub.Cpu is int cpu ? $"stub+tracer on CPU {cpu}" : "";

    // ---- round trips: hand-off and SIGCHLD ---------------------------------------------------------------

    private static readonly FieldInfo? TracerField = typeof(StubProcess).GetField("_tracer", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>The stub's tracer thread; the engine has no accessor yet, so reflection.</summary>
    private static StubTracer? TracerOf(StubProcess stub) => TracerField?.GetValue(stub) as StubTracer;

    /// <summary>getpid round trips issued from the caller thread through RunSingleSyscall (allocates, locks, hands off).</summary>
    private static long CallerRoundTrips(StubProcess stub, int count)
    {
        long nr = stub.Abi.GetpidNr;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            if (stub.RunSingleSyscall(nr) != stub.ProcessId)
            {
                throw new InvalidOperationException("getpid through the stub returned something else than its pid.");
            }
        }
        return Stopwatch.GetTimestamp() - start;
    }

    /// <summary>getpid round trips through IStubRoundTrip.RunSingle: the hand-off without RunSingleSyscall's extras.</summary>
    private static long CallerRawRoundTrips(StubProcess stub, int count)
    {
        long nr = stub.Abi.GetpidNr;
        Span<ulong> args = stackalloc ulong[6];
        var roundTrip = stub.RoundTrip;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < count; i++)
        {
            roundTrip.RunSingle(nr, args);
        }
        return Stopwatch.GetTimestamp() - start;
    }

    /// <summary>
    /// <paramref name="count"/> getpid round trips inside ONE command on the tracer thread, exactly as
    /// PtraceRoundTrip.RunSingleOnTracer does them (RunToTrap: SETREGS, CONT, waitpid, GETSIGINFO); or, with
    /// <paramref name="rawPtrace"/>, SETREGS, CONT and waitpid only. Timed on the tracer thread.
    /// </summary>
    private static long TracerRoundTrips(StubProcess stub, StubTracer tracer, int count, bool rawPtrace)
    {
        var abi = stub.Abi;
        var data = stub.Data;
        ulong entry = data[StubDataLayout.SyscallStub];
        long nr = abi.GetpidNr;
        long elapsed = 0;
        long wrong = 0;
        tracer.Invoke(ptraceStub =>
        {
            Span<ulong> args = stackalloc ulong[6];
            var initial = tracer.InitialRegisters;
            int pid = ptraceStub.Pid;
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < count; i++)
            {
                var regs = initial;
                abi.LoadSyscall(ref regs, nr, args);
                regs.rip = entry;
                if (rawPtrace)
                {
                    regs.orig_rax = ulong.MaxValue;
                    if (Interop.ptrace(Interop.PTRACE_SETREGS, pid, 0, (nint)(&regs)) != 0
                        || Interop.ptrace(Interop.PTRACE_CONT, pid, 0, 0) != 0
                        || Interop.waitpid(pid, out int status, Interop.__WALL) != pid
                        || (status & 0xffff) != 0x057f /* stopped by SIGTRAP */)
                    {
                        throw new InvalidOperationException($"raw round trip failed: errno {Marshal.GetLastPInvokeError()}");
                    }
                }
                else
                {
                    ptraceStub.RunToTrap(ref regs);
                }
                wrong += abi.ToResult(data[StubDataLayout.Result]) == pid ? 0 : 1;
            }
            elapsed = Stopwatch.GetTimestamp() - start;
        });
        if (wrong != 0)
        {
            throw new InvalidOperationException($"{wrong} in-tracer getpid round trips returned something else than the stub's pid.");
        }
        return elapsed;
    }

    private static void RunHandOff(StubAffinity affinity)
    {
        Console.WriteLine($"hand-off (caller thread -> tracer thread), getpid round trips, x86_64, {affinity}");
        var stub = TryStart(StubArchitecture.x86_64, affinity, 1, "rt-caller", out _);
        if (stub is null)
        {
            return;
        }
        try
        {
            string a = affinity.ToString();
            AddRow("rt-caller", "x86_64", a, "1", N, N, Measure(() => CallerRoundTrips(stub, N)), "RunSingleSyscall(getpid) from the caller");
            AddRow("rt-caller-raw", "x86_64", a, "1", N, N, Measure(() => CallerRawRoundTrips(stub, N)), "RoundTrip.RunSingle from the caller");
            if (TracerOf(stub) is not { } tracer)
            {
                AddMissing("rt-tracer", "x86_64", a, "1", N, N, "n/a: StubProcess._tracer not found (engine changed)");
                return;
            }
            AddRow("rt-tracer", "x86_64", a, "1", N, N, Measure(() => TracerRoundTrips(stub, tracer, N, rawPtrace: false)), "loop inside one tracer Invoke (RunToTrap)");
            AddRow("rt-tracer-raw", "x86_64", a, "1", N, N, Measure(() => TracerRoundTrips(stub, tracer, N, rawPtrace: true)), "raw SETREGS+CONT+waitpid, without the engine's checks");
        }
        finally
        {
            stub.Stop();
        }
    }

    /// <summary>Caller round trips and in-tracer round trips with SIGCHLD as it is, then with SA_NOCLDSTOP; alternating per repetition.</summary>
    private static void RunSigchld(StubAffinity affinity)
    {
        var original = Sigchld.Read();
        if ((original.flags & Interop.SA_NOCLDSTOP) != 0)
        {
            original = original with { flags = original.flags & ~Interop.SA_NOCLDSTOP };
        }
        Console.WriteLine($"SIGCHLD per ptrace stop, getpid round trips, x86_64, {affinity}; handler: {Sigchld.Describe(original)}, without then with SA_NOCLDSTOP");
        var stub = TryStart(StubArchitecture.x86_64, affinity, 1, "rt-sigchld", out _);
        if (stub is null)
        {
            return;
        }
        var tracer = TracerOf(stub);
        var withSignal = new List<long>[] { new(), new() };
        var without = new List<long>[] { new(), new() };
        try
        {
            for (int r = -Warmup; r < Reps; r++)
            {
                for (int mode = 0; mode < 2; mode++)
                {
                    bool noStop = mode == 1;
                    // Set both ways explicitly: the engine may add SA_NOCLDSTOP itself when it starts a stub.
                    Sigchld.Write(original with { flags = noStop ? original.flags | Interop.SA_NOCLDSTOP : original.flags & ~Interop.SA_NOCLDSTOP });
                    try
                    {
                        GC.Collect();
                        long caller = CallerRoundTrips(stub, N);
                        long inTracer = tracer is null ? 0 : TracerRoundTrips(stub, tracer, N, rawPtrace: false);
                        if (r >= 0)
                        {
                            (noStop ? without : withSignal)[0].Add(caller);
                            (noStop ? without : withSignal)[1].Add(inTracer);
                        }
                    }
                    finally
                    {
                        Sigchld.Write(original);
                    }
                }
            }
        }
        finally
        {
            stub.Stop();
            Sigchld.Write(original);
        }
        string a = affinity.ToString();
        string handler = original.handler is 0 or 1 ? $"{(original.handler == 0 ? "SIG_DFL" : "SIG_IGN")} without SA_NOCLDSTOP" : "runtime handler without SA_NOCLDSTOP";
        AddRow("rt-sigchld", "x86_64", a, "1", N, N, withSignal[0].ToArray(), $"RunSingleSyscall; SIGCHLD {handler}");
        AddRow("rt-nocldstop", "x86_64", a, "1", N, N, without[0].ToArray(), "RunSingleSyscall; same handler with SA_NOCLDSTOP");
        if (tracer is not null)
        {
            AddRow("rt-tracer-sigchld", "x86_64", a, "1", N, N, withSignal[1].ToArray(), $"in-tracer loop; SIGCHLD {handler}");
            AddRow("rt-tracer-nocldstop", "x86_64", a, "1", N, N, without[1].ToArray(), "in-tracer loop; same handler with SA_NOCLDSTOP");
        }
    }

    // ---- report ------------------------------------------------------------------------------------------

    /// <summary>The C reference program's ns/op for the same row (ptrace-notes.md), or NaN.</summary>
    private static double Reference(Row r) => (r.Way, r.Architecture, r.Affinity, r.BatchPages) switch
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

    private static bool IsWorkload(Row r) => r.Way is "native" or "single" or "batch" or "cmdlet";

    private static void PrintTable()
    {
        Console.WriteLine($"{"Way",-20} {"Arch",-7} {"Affinity",-10} {"Pages",5} {"ns/op",9} {"x native",9} {"C ref",7} {"x C ref",8}  Note");
        foreach (var r in Rows)
        {
            string ratio = IsWorkload(r) && !double.IsNaN(r.NsPerOp) && !double.IsNaN(NativeNs) ? (r.NsPerOp / NativeNs).ToString("F2", CultureInfo.InvariantCulture) : "";
            double reference = Reference(r);
            string refText = double.IsNaN(reference) ? "" : reference.ToString("F0", CultureInfo.InvariantCulture);
            string refRatio = double.IsNaN(reference) || double.IsNaN(r.NsPerOp) ? "" : (r.NsPerOp / reference).ToString("F2", CultureInfo.InvariantCulture);
            string ns = double.IsNaN(r.NsPerOp) ? "n/a" : r.NsPerOp.ToString("F0", CultureInfo.InvariantCulture);
            Console.WriteLine($"{r.Way,-20} {r.Architecture,-7} {r.Affinity,-10} {r.BatchPages,5} {ns,9} {ratio,9} {refText,7} {refRatio,8}  {r.Note}");
        }
        Console.WriteLine();
    }

    private static Row? Find(string way, string arch, string affinity, string pages) =>
        Rows.FirstOrDefault(r => r.Way == way && r.Architecture == arch && r.Affinity == affinity && r.BatchPages == pages && !double.IsNaN(r.NsPerOp));

    private static void PrintTargets()
    {
        Console.WriteLine("Targets (x86_64):");
        void Check(string what, double value, double limit, string unit)
        {
            string verdict = double.IsNaN(value) ? "not measured" : value <= limit ? "MET" : "MISSED";
            Console.WriteLine($"  {what,-58} {(double.IsNaN(value) ? "n/a" : value.ToString("F2", CultureInfo.InvariantCulture)),8}{unit} <= {limit.ToString(CultureInfo.InvariantCulture)}{unit}  {verdict}");
        }
        foreach (var affinity in new[] { "Colocated", "Any" })
        {
            double single = Find("single", "x86_64", affinity, "1")?.NsPerOp ?? double.NaN;
            double b1 = Find("batch", "x86_64", affinity, "1")?.NsPerOp ?? double.NaN;
            double b16 = Find("batch", "x86_64", affinity, "16")?.NsPerOp ?? double.NaN;
            Check($"batch 1 page / native ({affinity})", b1 / NativeNs, 1.3, "x");
            Check($"batch 16 pages / native ({affinity})", b16 / NativeNs, 1.05, "x");
            if (affinity == "Colocated")
            {
                Check("single / C reference single 9244 ns (Colocated)", single / 9244, 1.2, "x");
            }
            // "batched >= 8x faster than single", written as single-speed / batch-speed <= 1/8.
            Check($"batch 1 page / single ({affinity}) [target: batch >= 8x faster]", b1 / single, 0.125, "x");
        }
        Console.WriteLine();
    }

    private static void WriteCsv(string path)
    {
        bool header = !File.Exists(path) || new FileInfo(path).Length == 0;
        var sb = new StringBuilder();
        if (header)
        {
            sb.AppendLine("RunId,Way,Architecture,Affinity,BatchPages,N,Ops,Repetitions,NsPerOp,RatioToNative,Note");
        }
        foreach (var r in Rows)
        {
            string ns = double.IsNaN(r.NsPerOp) ? "" : r.NsPerOp.ToString("F1", CultureInfo.InvariantCulture);
            string ratio = IsWorkload(r) && !double.IsNaN(r.NsPerOp) && !double.IsNaN(NativeNs) ? (r.NsPerOp / NativeNs).ToString("F3", CultureInfo.InvariantCulture) : "";
            sb.AppendLine(string.Join(',', RunId, r.Way, r.Architecture, r.Affinity, r.BatchPages, r.N.ToString(CultureInfo.InvariantCulture),
                r.Ops.ToString(CultureInfo.InvariantCulture), Reps.ToString(CultureInfo.InvariantCulture), ns, ratio, r.Note.Replace(',', ';')));
        }
        File.AppendAllText(path, sb.ToString());
    }

    private sealed record Row(string Way, string Architecture, string Affinity, string BatchPages, int N, long Ops,
        double NsPerOp, double Min, double Max, string Note)
    {
        public string Label => $"{Way} {Architecture} {Affinity} {(BatchPages.Length > 0 ? BatchPages + "p" : "")}".Trim();
    }
}

/// <summary>Read and write this process's SIGCHLD disposition with the raw rt_sigaction (the kernel's struct, not glibc's).</summary>
internal static unsafe class Sigchld
{
    public static Interop.kernel_sigaction Read()
    {
        Interop.kernel_sigaction old;
        if (Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, null, &old, 8) != 0)
        {
            throw new InvalidOperationException($"rt_sigaction(SIGCHLD) read: errno {Marshal.GetLastPInvokeError()}");
        }
        return old;
    }

    public static void Write(Interop.kernel_sigaction action)
    {
        if (Interop.syscall(Interop.SYS_rt_sigaction, Interop.SIGCHLD, &action, null, 8) != 0)
        {
            throw new InvalidOperationException($"rt_sigaction(SIGCHLD) write: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static string Describe(Interop.kernel_sigaction a) =>
        (a.handler switch { 0 => "SIG_DFL", 1 => "SIG_IGN", _ => $"handler 0x{a.handler:x}" }) + $", flags 0x{a.flags:x}" +
        ((a.flags & Interop.SA_NOCLDSTOP) != 0 ? " (SA_NOCLDSTOP)" : "");
}

internal static partial class NativeCalls
{
    public const int MAP_SHARED = 0x01, MAP_PRIVATE = 0x02, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MAP_FIXED_NOREPLACE = 0x100000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial nint mmap(nint addr, nuint length, int prot, int flags, int fd, long offset);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int mprotect(nint addr, nuint length, int prot);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int munmap(nint addr, nuint length);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int memfd_create(string name, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int ftruncate(int fd, long length);

    [LibraryImport("libc")]
    public static partial int close(int fd);
}
