using System.Globalization;
using UmlTlb.Bench.Core;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// What a Doorbell stub costs while nobody uses it: after streaming single flushes (so that both
/// sides have spun), the CPU time the kernel charges to the stub and to its tracer thread over
/// 10 s of idleness (1 s with --quick), from utime+stime of /proc. One row per affinity;
/// NsPerOp holds the CPU ns per second of idleness (0 when flat), N and Ops the seconds.
/// </summary>
internal sealed class IdleCpuWay : IMeasuredWay
{
    public string Name => "idle";

    public void Run(BenchRun run)
    {
        int seconds = run.Options.Quick ? 1 : 10;
        foreach (var affinity in EngineStubs.Affinities)
        {
            Console.WriteLine($"idle CPU of a Doorbell stub and its tracer thread over {seconds} s, x86_64, {affinity}");
            EngineStubs.With(run, StubArchitecture.x86_64, affinity, 1, "idle-cpu", StubTransport.Doorbell, stub => Measure(run, stub, affinity, seconds));
        }
    }

    private static void Measure(BenchRun run, StubProcess stub, StubAffinity affinity, int seconds)
    {
        for (int i = 0; i < 1000; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, Workload.AddressOf(i % 64), Workload.Page, VmProtection.Read, 0);
            stub.BeginFlush().Complete(null);
        }
        // The stub spins a few µs at most after its last round trip; let it settle first.
        Thread.Sleep(100);
        string stubStat = $"/proc/{stub.ProcessId}/stat", tracerStat = $"/proc/self/task/{stub.TracerThreadId}/stat";
        long stubBefore = CpuTicks(stubStat), tracerBefore = CpuTicks(tracerStat);
        Thread.Sleep(TimeSpan.FromSeconds(seconds));
        long stubTicks = CpuTicks(stubStat) - stubBefore, tracerTicks = CpuTicks(tracerStat) - tracerBefore;
        double nsPerTick = 1e9 / ClockTicksPerSecond;
        double perSecond = (stubTicks + tracerTicks) * nsPerTick / seconds;
        run.AddRow(new BenchRow("idle-cpu", "x86_64", affinity.ToString(), "1", seconds, seconds, 1, perSecond, perSecond, perSecond,
            $"CPU ns per idle second; stub {stubTicks} and tracer thread {tracerTicks} clock ticks over {seconds} s", "Doorbell"));
    }

    /// <summary>utime + stime (fields 14 and 15 of /proc/.../stat), in clock ticks.</summary>
    private static long CpuTicks(string statPath)
    {
        string stat = File.ReadAllText(statPath);
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    // USER_HZ: 100 on every Linux x86 build.
    private const double ClockTicksPerSecond = 100;
}
