using UmlTlb.Bench.Core;
using UmlTlb.Native;

namespace UmlTlb.Bench.Ways;

/// <summary>
/// What the SIGCHLD of every ptrace stop costs: caller and in-tracer round trips with SIGCHLD as it is, then
/// with SA_NOCLDSTOP, alternating per repetition. x86_64, both affinities.
/// </summary>
internal sealed class SigchldWay : IMeasuredWay
{
    public string Name => "sigchld";

    public void Run(BenchRun run)
    {
        foreach (var affinity in EngineStubs.Affinities)
        {
            RunOne(run, affinity);
        }
    }

    private static void RunOne(BenchRun run, StubAffinity affinity)
    {
        int n = run.N;
        var original = Sigchld.Read();
        if ((original.flags & Interop.SA_NOCLDSTOP) != 0)
        {
            original = original with { flags = original.flags & ~Interop.SA_NOCLDSTOP };
        }
        Console.WriteLine($"SIGCHLD per ptrace stop, null round trips, x86_64, {affinity}; handler: {Sigchld.Describe(original)}, without then with SA_NOCLDSTOP");
        var stub = EngineStubs.TryStart(run, StubArchitecture.x86_64, affinity, 1, "rt-sigchld", StubTransport.Ptrace);
        if (stub is null)
        {
            return;
        }
        var tracer = EngineStubs.TracerOf(stub);
        var withSignal = new List<long>[] { new(), new() };
        var without = new List<long>[] { new(), new() };
        try
        {
            for (int r = -run.Options.Warmup; r < run.Options.Reps; r++)
            {
                for (int mode = 0; mode < 2; mode++)
                {
                    bool noStop = mode == 1;
                    // Set both ways explicitly: the engine may add SA_NOCLDSTOP itself when it starts a stub.
                    Sigchld.Write(original with { flags = noStop ? original.flags | Interop.SA_NOCLDSTOP : original.flags & ~Interop.SA_NOCLDSTOP });
                    try
                    {
                        GC.Collect();
                        long caller = RoundTripLoops.Caller(stub, n);
                        long inTracer = tracer is null ? 0 : RoundTripLoops.InTracer(stub, tracer, n, rawPtrace: false);
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
        run.AddRow("rt-sigchld", "x86_64", a, "1", n, n, withSignal[0].ToArray(), $"RunSingleSyscall; SIGCHLD {handler}", "Ptrace");
        run.AddRow("rt-nocldstop", "x86_64", a, "1", n, n, without[0].ToArray(), "RunSingleSyscall; same handler with SA_NOCLDSTOP", "Ptrace");
        if (tracer is not null)
        {
            run.AddRow("rt-tracer-sigchld", "x86_64", a, "1", n, n, withSignal[1].ToArray(), $"in-tracer loop; SIGCHLD {handler}", "Ptrace");
            run.AddRow("rt-tracer-nocldstop", "x86_64", a, "1", n, n, without[1].ToArray(), "in-tracer loop; same handler with SA_NOCLDSTOP", "Ptrace");
        }
    }
}
