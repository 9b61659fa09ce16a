using System.Globalization;
using System.Reflection;
using UmlTlb.Native;
using UmlTlb.Tracing;

namespace UmlTlb.Bench.Core;

/// <summary>Starting the engine's stubs for a row, and the notes that engine rows share.</summary>
internal static class EngineStubs
{
    /// <summary>Starts a stub, or records the row as not measured (with the reason) and returns null.</summary>
    public static StubProcess? TryStart(BenchRun run, StubArchitecture arch, StubAffinity affinity, int pages, string way, StubTransport transport)
    {
        try
        {
            return StubProcess.Start(new StubStartOptions
            {
                Architecture = arch, Affinity = affinity, BatchPages = pages, Transport = transport, Name = $"bench-{arch}-{affinity}-{pages}-{transport}",
            });
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidOperationException or UnixErrorException or StubExitedException or StubArchitectureNotSupportedException)
        {
            run.AddMissing(way, arch.ToString(), affinity.ToString(), BenchRun.Pages(pages), run.N, 3L * run.N,
                $"n/a: {arch} stub did not start ({e.GetType().Name}: {e.Message})", transport.ToString());
            return null;
        }
    }

    /// <summary>Both placements every engine row is measured in: stub and tracer thread on one CPU, and free to run anywhere.</summary>
    public static readonly StubAffinity[] Affinities = [StubAffinity.Colocated, StubAffinity.Any];

    /// <summary>Starts a stub (or records why not), runs <paramref name="measure"/> on it and stops it.</summary>
    public static void With(BenchRun run, StubArchitecture arch, StubAffinity affinity, int pages, string way, StubTransport transport, Action<StubProcess> measure)
    {
        var stub = TryStart(run, arch, affinity, pages, way, transport);
        if (stub is null)
        {
            return;
        }
        try
        {
            measure(stub);
        }
        finally
        {
            stub.Stop();
        }
    }

    public static void CheckFits(BenchRun run, StubProcess stub)
    {
        if (Workload.AddressOf(run.N - 1) + Workload.Page > stub.UserAddressLimit)
        {
            throw new InvalidOperationException($"N = {run.N} does not fit below the {stub.Architecture} stub's UserAddressLimit 0x{stub.UserAddressLimit:x}.");
        }
    }

    /// <summary>
    /// Median ns/op of the timed runs spent in round trips (hand-off + ptrace + the stub's syscalls: the engine's
    /// TicksInStub); the rest of the row's time is the engine's own managed work (validate, queue, encode, results).
    /// </summary>
    public static string InStubNote(BenchRun run, List<long> perRun) =>
        string.Create(CultureInfo.InvariantCulture, $"in round trips {run.MedianNsPerOp(perRun, 3L * run.N):F0} ns/op");

    public static string CpuNote(StubProcess stub) => stub.Cpu is int cpu ? $"stub+tracer on CPU {cpu}" : "";

    private static readonly FieldInfo? TracerField = typeof(StubProcess).GetField("_tracer", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>The stub's tracer thread; the engine has no accessor yet, so reflection.</summary>
    public static StubTracer? TracerOf(StubProcess stub) => TracerField?.GetValue(stub) as StubTracer;
}
