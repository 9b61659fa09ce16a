using System.Diagnostics;

namespace UmlTlb.Flush;

/// <summary>The live counters behind <see cref="StubStatistics"/>; updated under the stub's lock.</summary>
internal sealed class StubCounters
{
    public long SingleCalls;
    public long Batches;
    public long BatchedOperations;
    public long CoalescedOperations;
    public long RoundTrips;
    public long Failed;
    public long Discarded;
    public long TicksInStub;

    public TimeSpan TimeInStub => Stopwatch.GetElapsedTime(0, TicksInStub);
}
