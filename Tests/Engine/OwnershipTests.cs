using System.Diagnostics;

namespace UmlTlb.Tests;

/// <summary>
/// One stub queue, several owners: each owner gets exactly the outcomes of its own ops,
/// whoever's flush ran them; a failure stops only its owner's ops; nothing is merged across
/// owners; a cancelled flush stops between data areas and what it left is accounted for.
/// </summary>
public abstract class OwnershipTests : StubTestBase
{
    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write;

    protected OwnershipTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture)
        : base(fixture, output, architecture)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : OwnershipTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : OwnershipTests(fixture, output, StubArchitecture.i386);

    private static (List<VmOpResult> Results, VmFlushSummary Summary) FlushFor(StubProcess stub, VmOpOwner owner, bool continueOnError = false)
    {
        var flush = stub.BeginFlush(continueOnError, keepResults: true);
        flush.Adopt(owner);
        var results = new List<VmOpResult>();
        var summary = flush.Complete(results.Add);
        return (results, summary);
    }

    [SkippableFact]
    public void EachOwnerGetsItsOwnResultsWhoeverRanThem()
    {
        var stub = Start();
        var a = new VmOpOwner("a");
        var b = new VmOpOwner("b");
        var mine = new List<long>();
        var theirs = new List<long>();
        for (int i = 0; i < 6; i++)
        {
            mine.Add(stub.Enqueue(VmOpKind.Mmap, At(4 * i), Page, R, Pages(i), owner: a).HostSequence);
            theirs.Add(stub.Enqueue(VmOpKind.Mmap, At(4 * i + 2), Page, RW, Pages(i), owner: b).HostSequence);
        }

        var (resultsA, summaryA) = FlushFor(stub, a);

        Assert.Equal(mine, resultsA.Select(r => r.Sequence));
        Assert.All(resultsA, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal((6L, 6L), (summaryA.Operations, summaryA.HostOperations));
        // A's flush ran B's ops too (the queue runs in order), but kept their results for B.
        Assert.Equal(0, stub.PendingOperations);
        Assert.Equal(0, b.PendingOperations);
        Assert.False(b.IsIdle);
        var model = new AddressSpaceModel();
        for (int i = 0; i < 6; i++)
        {
            model.Apply(VmOpKind.Mmap, At(4 * i), Page, R, Pages(i));
            model.Apply(VmOpKind.Mmap, At(4 * i + 2), Page, RW, Pages(i));
        }
        model.AssertMapsMatch(stub, "after a's flush");

        var (resultsB, summaryB) = FlushFor(stub, b);
        Assert.Equal(theirs, resultsB.Select(r => r.Sequence));
        Assert.All(resultsB, r => Assert.Equal((VmOpStatus.Succeeded, RW), (r.Status, r.Protection)));
        Assert.Equal((6L, 0L), (summaryB.Operations, summaryB.RoundTrips));
        Assert.True(b.IsIdle);

        // Delivered once: a second flush of either owner reports nothing.
        Assert.Empty(FlushFor(stub, a).Results);
        Assert.Empty(FlushFor(stub, b).Results);
    }

    [SkippableFact]
    public void OpsOfDifferentOwnersAreNeverMerged()
    {
        var stub = Start();
        var a = new VmOpOwner("a");
        var b = new VmOpOwner("b");
        var first = stub.Enqueue(VmOpKind.Mmap, At(0), Page, R, 0, owner: a);
        var second = stub.Enqueue(VmOpKind.Mmap, At(1), Page, R, Page, owner: b);
        var third = stub.Enqueue(VmOpKind.Mmap, At(2), Page, R, Pages(2), owner: b);

        Assert.False(second.Coalesced);
        Assert.True(third.Coalesced);
        Assert.Equal(2, stub.PendingOperations);
        Assert.Equal(1, Assert.Single(FlushFor(stub, a).Results).MergedCount);
        Assert.Equal(2, Assert.Single(FlushFor(stub, b).Results).MergedCount);
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Pages(3), R, 0);
        model.AssertMapsMatch(stub, "three pages, two owners");
    }

    [SkippableFact]
    public void AFailureStopsOnlyTheOpsOfItsOwner()
    {
        var stub = Start();
        var a = new VmOpOwner("a");
        var b = new VmOpOwner("b");
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, R, 0, owner: a);
        stub.Enqueue(VmOpKind.Mprotect, At(40), Page, R, 0, owner: a); // nothing mapped there: ENOMEM
        stub.Enqueue(VmOpKind.Mmap, At(2), Page, R, 0, owner: b);
        stub.Enqueue(VmOpKind.Mmap, At(4), Page, R, 0, owner: a);
        stub.Enqueue(VmOpKind.Mmap, At(6), Page, R, 0, owner: b);

        var (resultsA, summaryA) = FlushFor(stub, a);

        Assert.Equal(new[] { VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Skipped }, resultsA.Select(r => r.Status));
        Assert.Equal((1L, 1L), (summaryA.Failed, summaryA.Skipped));
        var (resultsB, _) = FlushFor(stub, b);
        Assert.Equal(new[] { VmOpStatus.Succeeded, VmOpStatus.Succeeded }, resultsB.Select(r => r.Status));
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Page, R, 0);
        model.Apply(VmOpKind.Mmap, At(2), Page, R, 0);
        model.Apply(VmOpKind.Mmap, At(6), Page, R, 0);
        model.AssertMapsMatch(stub, "a stopped, b ran");

        // The stop lasted for a's flush only: its next op runs.
        stub.Enqueue(VmOpKind.Mmap, At(8), Page, R, 0, owner: a);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(FlushFor(stub, a).Results).Status);
    }

    [SkippableTheory]
    [InlineData(4)]
    [InlineData(8)]
    public void ThreadsStreamingIntoOneStubEachGetExactlyTheirOwnResults(int threads)
    {
        var stub = Start();
        const int perThread = 300;
        var queued = new List<long>[threads];
        var received = new List<VmOpResult>[threads];
        var errors = new List<Exception>();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                var owner = new VmOpOwner($"thread {t}");
                var flush = stub.BeginFlush(false, keepResults: true);
                flush.Adopt(owner);
                queued[t] = new List<long>();
                received[t] = new List<VmOpResult>();
                for (int i = 0; i < perThread; i++)
                {
                    // Each thread owns page t of every group of 16: its own op toggles it between mapped and unmapped.
                    int page = 16 * (i % 32) + t;
                    var q = i / 32 % 2 == 0
                        ? stub.Enqueue(VmOpKind.Mmap, At(page), Page, R, Pages(t), coalesce: false, owner: owner)
                        : stub.Enqueue(VmOpKind.Munmap, At(page), Page, VmProtection.None, 0, coalesce: false, owner: owner);
                    queued[t].Add(q.HostSequence);
                    flush.RunFullDataAreas(received[t].Add);
                }
                flush.Complete(received[t].Add);
            }
            catch (Exception e)
            {
                lock (errors)
                {
                    errors.Add(e);
                }
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => Assert.True(w.Join(TimeSpan.FromMinutes(2)), "a worker did not finish"));

        Assert.Empty(errors);
        var model = new AddressSpaceModel();
        for (int t = 0; t < threads; t++)
        {
            Assert.Equal(queued[t], received[t].Select(r => r.Sequence));
            Assert.All(received[t], r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
            for (int i = 0; i < perThread; i++)
            {
                int page = 16 * (i % 32) + t;
                if (i / 32 % 2 == 0)
                {
                    model.Apply(VmOpKind.Mmap, At(page), Page, R, Pages(t));
                }
                else
                {
                    model.Apply(VmOpKind.Munmap, At(page), Page, VmProtection.None, 0);
                }
            }
        }
        Assert.Equal(0, stub.PendingOperations);
        model.AssertMapsMatch(stub, $"{threads} threads");
    }

    [SkippableFact]
    public void ACancelledFlushStopsBetweenDataAreasAndLeavesTheRestAccountedFor()
    {
        var stub = Start();
        var owner = new VmOpOwner("cancelled");
        const int n = 2_000_000;
        // The same page mapped over and over at offsets 0..127 pages: the offset /proc/pid/maps
        // shows afterwards tells which op ran last.
        for (int i = 0; i < n; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, At(0), Page, R, Pages(i % 128), coalesce: false, owner: owner);
        }
        var flush = stub.BeginFlush(false, keepResults: false);
        flush.Adopt(owner);
        VmFlushSummary? summary = null;
        var runner = new Thread(() => summary = flush.Complete(null));
        runner.Start();
        Thread.Sleep(300);
        var sw = Stopwatch.StartNew();
        flush.Cancel();
        Assert.True(runner.Join(TimeSpan.FromSeconds(60)), "the cancelled flush did not return");
        Output.WriteLine($"returned {sw.ElapsedMilliseconds} ms after Cancel; ran {summary!.Operations} of {n}");

        Assert.True(summary.Canceled);
        long ran = summary.Operations;
        Assert.InRange(ran, 1, n - 1);
        Assert.Equal(ran, summary.HostOperations);
        Assert.Equal(0, summary.Failed);
        Assert.Equal(n - ran, owner.PendingOperations);
        Assert.Equal(n - ran, owner.DiscardPending());
        Assert.Equal(0, stub.PendingOperations);
        Assert.Equal(n - ran, stub.GetStatistics().DiscardedOperations);
        Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(0) && m.Offset == Pages((int)((ran - 1) % 128)));

        // The stub is still usable.
        stub.Enqueue(VmOpKind.Munmap, At(0), Page, VmProtection.None, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(stub).Results).Status);
        Assert.DoesNotContain(ProcView.Maps(stub.ProcessId), m => m.Start == At(0));
    }

    [SkippableFact]
    public void WithoutKeepingResultsOnlyFailuresAreDelivered()
    {
        var stub = Start();
        var owner = new VmOpOwner("summary");
        for (int i = 0; i < 1000; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, At(i % 8 * 2), Page, R, 0, coalesce: false, owner: owner);
        }
        stub.Enqueue(VmOpKind.Mprotect, At(100), Page, R, 0, owner: owner); // ENOMEM
        var flush = stub.BeginFlush(true, keepResults: false);
        flush.Adopt(owner);
        var delivered = new List<VmOpResult>();
        var summary = flush.Complete(delivered.Add);

        var failure = Assert.Single(delivered);
        Assert.Equal((VmOpStatus.Failed, "ENOMEM"), (failure.Status, failure.Errno));
        Assert.Equal((1001L, 1L), (summary.Operations, summary.Failed));
    }

    [SkippableFact]
    public void TheQueueGivesBackItsMemoryAfterALargeFlush()
    {
        var stub = Start();
        for (int i = 0; i < 200_000; i++)
        {
            stub.Enqueue(VmOpKind.Munmap, At(i % 2 * 4), Page, VmProtection.None, 0, coalesce: false);
        }
        int peak;
        lock (stub.SyncRoot)
        {
            peak = stub.Queue.Capacity;
        }
        Assert.True(peak >= 200_000);
        var flush = stub.BeginFlush(false, keepResults: false);
        flush.Adopt(VmOpOwner.Default);
        flush.Complete(null);
        lock (stub.SyncRoot)
        {
            Assert.True(stub.Queue.Capacity <= 64, $"the queue still holds an array of {stub.Queue.Capacity} host ops");
        }
    }
}
