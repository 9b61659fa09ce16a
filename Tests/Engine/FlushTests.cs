namespace UmlTlb.Tests;

/// <summary>Flushing: which path runs, streaming of full data areas, failures and what they stop.</summary>
public abstract class FlushTests : StubTestBase
{
    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write;

    protected FlushTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : FlushTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : FlushTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : FlushTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : FlushTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private int WordSize => Architecture == StubArchitecture.x86_64 ? 8 : 4;

    [SkippableFact]
    public void OneHostOpTakesTheSinglePath()
    {
        var stub = Start();
        var pattern = new PhysicalPattern(0x51);
        pattern.WriteTo(stub, 8);
        // Three queued ops, one host op.
        for (int i = 0; i < 3; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, At(i), Page, R, Pages(i + 2));
        }

        var (results, summary) = Flush(stub);

        var r = Assert.Single(results);
        Assert.Equal(VmFlushPath.Single, r.Path);
        Assert.Equal(VmOpStatus.Succeeded, r.Status);
        Assert.Equal(0, r.Batch);
        Assert.Equal(3, r.MergedCount);
        Assert.Equal((long)At(0), r.Result);
        Assert.Equal(string.Empty, r.Errno);
        Assert.Equal((3L, 1L, 1L, 0L, 1L), (summary.Operations, summary.HostOperations, summary.SingleCalls, summary.Batches, summary.RoundTrips));
        var stats = stub.GetStatistics();
        Assert.Equal((1L, 0L, 0L, 2L), (stats.SingleCalls, stats.Batches, stats.BatchedOperations, stats.CoalescedOperations));
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Pages(3), R, Pages(2));
        model.AssertMapsMatch(stub, "single");
        model.AssertMemoryMatches(stub, At(0), 4, pattern, "single");
    }

    [SkippableFact]
    public void TwoHostOpsTakeTheBatchPath()
    {
        var stub = Start();
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, R, 0);
        stub.Enqueue(VmOpKind.Mmap, At(2), Page, R, 0);

        var (results, summary) = Flush(stub);

        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal((VmFlushPath.Batch, 1L, VmOpStatus.Succeeded), (r.Path, r.Batch, r.Status)));
        Assert.Equal(new[] { (long)At(0), (long)At(2) }, results.Select(r => r.Result));
        Assert.Equal((0L, 1L, 1L), (summary.SingleCalls, summary.Batches, summary.RoundTrips));
        var stats = stub.GetStatistics();
        Assert.Equal((0L, 1L, 2L), (stats.SingleCalls, stats.Batches, stats.BatchedOperations));
    }

    [SkippableFact]
    public void AnEmptyFlushRunsNothing()
    {
        var stub = Start();
        long switches = ProcView.VoluntarySwitches(stub.ProcessId);

        var (results, summary) = Flush(stub);

        Assert.Empty(results);
        Assert.Equal((0L, 0L, 0L), (summary.RoundTrips, summary.Operations, summary.HostOperations));
        Assert.Equal(0, stub.GetStatistics().RoundTrips);
        Assert.Equal(switches, ProcView.VoluntarySwitches(stub.ProcessId));
    }

    [SkippableTheory]
    [InlineData(1, 0)]
    [InlineData(1, 1)]
    [InlineData(1, 7)]
    [InlineData(3, 5)]
    public void ManyHostOpsStreamThroughFullDataAreas(int batchPages, int extra)
    {
        var stub = Start(batchPages);
        int capacity = stub.BatchCapacity;
        // Every tuple the data area holds after the header words, with room for the terminating 0.
        Assert.Equal((batchPages * (int)Page / WordSize - UmlTlb.Abi.StubDataLayout.Tuples - 1) / UmlTlb.Abi.StubDataLayout.TupleWords, capacity);
        int n = 2 * capacity + extra;
        var flush = stub.BeginFlush();
        var results = new List<VmOpResult>();
        var sequences = new List<long>();
        var model = new AddressSpaceModel();
        int maxPending = 0;

        for (int i = 0; i < n; i++)
        {
            // Every other page, alternating protection: nothing merges.
            var prot = i % 2 == 0 ? R : RW;
            sequences.Add(stub.Enqueue(VmOpKind.Mmap, At(2 * i), Page, prot, Pages(i % 128)).HostSequence);
            model.Apply(VmOpKind.Mmap, At(2 * i), Page, prot, Pages(i % 128));
            // The queue may hold one op more than a data area; the newest waits, as it may still absorb the next.
            maxPending = Math.Max(maxPending, stub.PendingOperations);
            Assert.InRange(stub.PendingOperations, 1, capacity + 1);
            flush.RunFullDataAreas(results.Add);
            Assert.InRange(stub.PendingOperations, 1, capacity);
            Assert.Equal(i + 1 - stub.PendingOperations, results.Count);
        }
        var summary = flush.Complete(results.Add);

        int batches = (n + capacity - 1) / capacity;
        Assert.Equal(capacity + 1, maxPending);
        Assert.Equal(sequences, results.Select(r => r.Sequence));
        Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal(Enumerable.Range(0, n).Select(i => (long)(i / capacity + 1)), results.Select(r => r.Batch));
        Assert.Equal((long)batches, summary.Batches);
        Assert.Equal((0L, (long)n, (long)batches), (summary.SingleCalls, summary.HostOperations, summary.RoundTrips));
        var stats = stub.GetStatistics();
        Assert.Equal(((long)batches, (long)n, 0L), (stats.Batches, stats.BatchedOperations, stats.SingleCalls));
        Assert.Equal(0, stub.PendingOperations);
        model.AssertMapsMatch(stub, $"{n} ops");
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void AFailingOpStopsTheFlushUnlessToldToContinue(bool continueOnError)
    {
        var stub = Start();
        var ops = new (VmOpKind Kind, int Page)[]
        {
            (VmOpKind.Mmap, 0), (VmOpKind.Mmap, 2), (VmOpKind.Mprotect, 10), (VmOpKind.Mmap, 4), (VmOpKind.Munmap, 0),
        };
        var sequences = ops.Select(op => stub.Enqueue(op.Kind, At(op.Page), Page, R, 0).HostSequence).ToList();

        var flush = stub.BeginFlush(continueOnError);
        var results = new List<VmOpResult>();
        var summary = flush.Complete(results.Add);

        Assert.Equal(sequences, results.Select(r => r.Sequence));
        Assert.All(sequences, s => Assert.False(stub.IsPending(s)));
        Assert.Equal((5L, 5L), (summary.Operations, summary.HostOperations));
        var failed = results[2];
        Assert.Equal((VmOpStatus.Failed, -12L, "ENOMEM"), (failed.Status, failed.Result, failed.Errno));
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Page, R, 0);
        model.Apply(VmOpKind.Mmap, At(2), Page, R, 0);
        if (continueOnError)
        {
            Assert.Equal(new[] { VmOpStatus.Succeeded, VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Succeeded, VmOpStatus.Succeeded }, results.Select(r => r.Status));
            Assert.Equal((1L, 0L), (summary.Failed, summary.Skipped));
            model.Apply(VmOpKind.Mmap, At(4), Page, R, 0);
            model.Apply(VmOpKind.Munmap, At(0), Page, R, 0);
        }
        else
        {
            Assert.Equal(new[] { VmOpStatus.Succeeded, VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Skipped, VmOpStatus.Skipped }, results.Select(r => r.Status));
            Assert.All(results.Skip(3), r => Assert.Equal((0L, string.Empty), (r.Result, r.Errno)));
            Assert.Equal((1L, 2L), (summary.Failed, summary.Skipped));
        }
        Assert.Equal(1, stub.GetStatistics().Failed);
        Assert.Equal(0, stub.PendingOperations);
        // Skipped ops did not run: page 4 is not mapped and page 0 still is.
        model.AssertMapsMatch(stub, continueOnError ? "continued" : "stopped");
    }

    [SkippableFact]
    public void AFailureInTheFirstDataAreaSkipsEveryLaterOne()
    {
        var stub = Start();
        int capacity = stub.BatchCapacity;
        int n = 2 * capacity + 3;
        var flush = stub.BeginFlush();
        var results = new List<VmOpResult>();
        var model = new AddressSpaceModel();
        for (int i = 0; i < n; i++)
        {
            if (i == 3)
            {
                stub.Enqueue(VmOpKind.Mprotect, At(2 * i), Page, R, 0); // nothing mapped there: ENOMEM
            }
            else
            {
                stub.Enqueue(VmOpKind.Mmap, At(2 * i), Page, R, 0);
                if (i < 3)
                {
                    model.Apply(VmOpKind.Mmap, At(2 * i), Page, R, 0);
                }
            }
            flush.RunFullDataAreas(results.Add);
        }
        var summary = flush.Complete(results.Add);

        Assert.Equal(n, results.Count);
        Assert.Equal(Enumerable.Repeat(VmOpStatus.Succeeded, 3).Append(VmOpStatus.Failed).Concat(Enumerable.Repeat(VmOpStatus.Skipped, n - 4)),
            results.Select(r => r.Status));
        Assert.Equal(1, summary.Batches);
        Assert.Equal(1, stub.GetStatistics().Batches);
        Assert.Equal(0, stub.PendingOperations);
        model.AssertMapsMatch(stub, "after the failure");

        // The next flush starts afresh.
        stub.Enqueue(VmOpKind.Munmap, At(0), Page, R, 0);
        var (next, _) = Flush(stub);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(next).Status);
    }

    [SkippableFact]
    public void AFailingSingleOpReportsItsErrno()
    {
        var stub = Start();
        stub.Enqueue(VmOpKind.Mprotect, At(0), Page, R, 0);

        var (results, summary) = Flush(stub);

        var r = Assert.Single(results);
        Assert.Equal((VmFlushPath.Single, VmOpStatus.Failed, -12L, "ENOMEM"), (r.Path, r.Status, r.Result, r.Errno));
        Assert.Equal(1, summary.Failed);
    }

    [SkippableFact]
    public void PhysicalMemoryWritesShowThroughExistingMappings()
    {
        var stub = Start(physicalPages: 8);
        var pattern = new PhysicalPattern(0x77);
        pattern.WriteTo(stub, 8);
        Assert.Equal(pattern.Page(3 * Page), stub.ReadPhysicalMemory(3 * Page, (int)Page));
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, R, 3 * Page);
        Flush(stub);

        var fresh = Enumerable.Range(0, (int)Page).Select(i => (byte)(i * 13)).ToArray();
        stub.WritePhysicalMemory(3 * Page, fresh);

        Assert.Equal(fresh, stub.ReadMemory(At(0), (int)Page));
        Assert.Throws<ArgumentOutOfRangeException>(() => stub.ReadPhysicalMemory(7 * Page, (int)Page + 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => stub.WritePhysicalMemory(8 * Page, new byte[1]));
    }
}
