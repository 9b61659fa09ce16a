using System.Diagnostics;
using System.Runtime.Intrinsics.X86;
using UmlTlb.Native;

namespace UmlTlb.Doorbell;

/// <summary>
/// When the two sides of a doorbell spin before they sleep, and for how long. Spinning saves the
/// futex wake-up (several µs) when the answer comes soon, but on the CPU the other side needs it
/// only delays that side (measured: 105 µs per op when both spin on one CPU). So: never with one
/// usable CPU, never when the caller runs on the CPU its colocated stub is pinned to, at most
/// <see cref="CallerSpin"/> / <see cref="StubSpin"/>, only when the round trip is expected to end
/// within that, and with an exponential back-off after spins that caught nothing (a stub the
/// scheduler put on the caller's CPU, a caller that comes back too late for the stub's spin).
/// Used under the stub's lock: no synchronisation of its own.
/// </summary>
internal sealed class DoorbellSpin
{
    /// <summary>
    /// The caller's spin bound. A single op takes 1-3 µs in the stub, a futex wake-up across CPUs
    /// about 5-10 µs on the machines measured; 20 µs covers a few ops and a preempted stub.
    /// </summary>
    public static readonly TimeSpan CallerSpin = TimeSpan.FromMicroseconds(20);

    /// <summary>The stub's spin after a completion, waiting for the next ring of a streaming caller.</summary>
    public static readonly TimeSpan StubSpin = TimeSpan.FromMicroseconds(20);

    private const int MaxBackOff = 64;

    private static readonly bool SingleCpu = Environment.ProcessorCount < 2;
    private static readonly Lazy<double> NsPerPause = new(CalibratePause);

    private readonly int? _stubCpu;
    private double _ticksPerTuple;
    private int _callerSkip, _callerMisses, _stubSkip, _stubMisses;
    private bool _stubSpins, _stubSpunBefore;

    public DoorbellSpin(int? stubCpu) => _stubCpu = stubCpu;

    public long CallerTicks { get; } = (long)(CallerSpin.TotalSeconds * Stopwatch.Frequency);

    public long Hits { get; private set; }

    /// <summary>False when spinning would take the CPU the stub needs: decided per round trip (the caller may move).</summary>
    public bool CallerMaySpin() => !SingleCpu && !(_stubCpu is int cpu && Interop.sched_getcpu() == cpu);

    /// <summary>Spin only for round trips expected to end within the spin bound, and not while backing off.</summary>
    public bool ShouldSpinFor(int tuples)
    {
        if (_callerSkip > 0)
        {
            _callerSkip--;
            return false;
        }
        return _ticksPerTuple * Math.Max(tuples, 1) <= CallerTicks;
    }

    /// <summary>Pause iterations the stub may spin after this request, 0 while backing off.</summary>
    public int StubIterations(bool allowed)
    {
        // The ring about to happen tells whether the spin after the previous request caught it.
        _stubSpunBefore = _stubSpins;
        _stubSpins = allowed && _stubSkip == 0;
        if (allowed && _stubSkip > 0)
        {
            _stubSkip--;
        }
        return _stubSpins ? (int)Math.Max(1, StubSpin.TotalNanoseconds / NsPerPause.Value) : 0;
    }

    /// <summary>
    /// Learns from one round trip: its time (for the next expectation), whether the caller's spin
    /// caught the answer, and whether the stub was asleep at the ring although it had been told to spin.
    /// </summary>
    public void Record(int tuples, long ticks, bool spun, bool caught, bool stubSlept)
    {
        double perTuple = (double)ticks / Math.Max(tuples, 1);
        _ticksPerTuple = _ticksPerTuple == 0 ? perTuple : _ticksPerTuple * 0.75 + perTuple * 0.25;
        if (caught)
        {
            Hits++;
            _callerMisses = 0;
        }
        else if (spun)
        {
            // A spin that caught nothing only cost CPU: spin less often for a while.
            _callerSkip = Math.Min(1 << Math.Min(++_callerMisses, 6), MaxBackOff);
        }
        if (_stubSpunBefore && stubSlept)
        {
            _stubSkip = Math.Min(1 << Math.Min(++_stubMisses, 6), MaxBackOff);
        }
        else if (_stubSpunBefore)
        {
            _stubMisses = 0;
        }
    }

    /// <summary>How long one pause instruction takes here, so that the stub's spin is bounded in time.</summary>
    private static double CalibratePause()
    {
        double best = double.MaxValue;
        for (int run = 0; run < 5; run++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 1000; i++)
            {
                X86Base.Pause();
            }
            double ns = Stopwatch.GetElapsedTime(start).TotalNanoseconds / 1000;
            best = Math.Min(best, ns);
        }
        return Math.Max(best, 1);
    }
}
