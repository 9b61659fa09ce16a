using UmlTlb.Ops;

namespace UmlTlb.Tests;

/// <summary>Queueing and the seed's merging rules (add_mmap, add_munmap, add_mprotect), then the flush of what was merged.</summary>
public abstract class QueueTests : StubTestBase
{
    protected QueueTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : QueueTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : QueueTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : QueueTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : QueueTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private const VmOpKind Mmap = VmOpKind.Mmap, Munmap = VmOpKind.Munmap, Mprotect = VmOpKind.Mprotect;
    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write, None = VmProtection.None;

    /// <summary>An op in window pages: kind, first page, pages, protection, offset page.</summary>
    public sealed record Op(VmOpKind Kind, int Page, int Count, VmProtection Prot, int OffsetPage);

    /// <summary>Ops and whether each merges into the host op before it.</summary>
    private sealed record Case(Op[] Ops, bool[] Coalesced);

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["mmaps contiguous in address and offset with one protection merge"] =
            new([new(Mmap, 0, 1, R, 10), new(Mmap, 1, 1, R, 11), new(Mmap, 2, 2, R, 12)], [false, true, true]),
        ["mmaps with a gap in offsets do not merge"] =
            new([new(Mmap, 0, 1, R, 10), new(Mmap, 1, 1, R, 12)], [false, false]),
        ["mmaps with offsets going backwards do not merge"] =
            new([new(Mmap, 0, 1, R, 10), new(Mmap, 1, 1, R, 9)], [false, false]),
        ["mmaps with different protection do not merge"] =
            new([new(Mmap, 0, 1, R, 10), new(Mmap, 1, 1, RW, 11)], [false, false]),
        ["mmaps with a gap in addresses do not merge"] =
            new([new(Mmap, 0, 1, R, 10), new(Mmap, 2, 1, R, 11)], [false, false]),
        ["mmaps going down in addresses do not merge"] =
            new([new(Mmap, 1, 1, R, 11), new(Mmap, 0, 1, R, 10)], [false, false]),
        ["overlapping mmaps do not merge"] =
            new([new(Mmap, 0, 2, R, 10), new(Mmap, 1, 1, R, 12)], [false, false]),
        ["contiguous munmaps always merge"] =
            new([new(Munmap, 0, 1, R, 0), new(Munmap, 1, 3, RW, 7), new(Munmap, 4, 1, None, 0)], [false, true, true]),
        ["munmaps with a gap do not merge"] =
            new([new(Munmap, 0, 1, None, 0), new(Munmap, 2, 1, None, 0)], [false, false]),
        ["contiguous mprotects with one protection merge"] =
            new([new(Mmap, 0, 4, RW, 0), new(Mprotect, 0, 1, R, 0), new(Mprotect, 1, 2, R, 5)], [false, false, true]),
        ["mprotects with different protection do not merge"] =
            new([new(Mmap, 0, 4, RW, 0), new(Mprotect, 0, 1, R, 0), new(Mprotect, 1, 1, None, 0)], [false, false, false]),
        ["a munmap after an mmap does not merge"] =
            new([new(Mmap, 0, 1, R, 0), new(Munmap, 1, 1, None, 0)], [false, false]),
        ["an mprotect after an mmap of that protection does not merge"] =
            new([new(Mmap, 2, 1, RW, 5), new(Mmap, 0, 2, R, 0), new(Mprotect, 2, 1, R, 0)], [false, false, false]),
        ["an mmap after a munmap does not merge"] =
            new([new(Munmap, 0, 1, None, 0), new(Mmap, 1, 1, R, 1)], [false, false]),
        ["only the newest host op absorbs"] =
            new([new(Mmap, 0, 1, R, 0), new(Munmap, 8, 1, None, 0), new(Mmap, 1, 1, R, 1)], [false, false, false]),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [SkippableTheory]
    [MemberData(nameof(CaseNames))]
    public void MergesByTheSeedsRules(string name)
    {
        var c = Cases[name];
        var stub = Start();
        long coalescedBefore = stub.GetStatistics().CoalescedOperations;

        var queued = c.Ops.Select(op => stub.Enqueue(op.Kind, At(op.Page), Pages(op.Count), op.Prot, Pages(op.OffsetPage))).ToList();

        Assert.Equal(c.Coalesced, queued.Select(q => q.Coalesced));
        AssertSequences(queued);
        var expectedHostOps = Merge(c.Ops, c.Coalesced);
        var pending = stub.GetPendingOperations();
        Assert.Equal(expectedHostOps.Count, stub.PendingOperations);
        Assert.Equal(expectedHostOps.Select(h => (h.Kind, At(h.Page), Pages(h.Count))), pending.Select(p => (p.Operation, p.Address, p.Length)));
        Assert.Equal(queued.Select(q => q.HostSequence).Distinct(), pending.Select(p => p.HostOp));
        Assert.Equal(coalescedBefore + c.Coalesced.Count(b => b), stub.GetStatistics().CoalescedOperations);

        // What was merged runs as one host op, with the effect of the ops it merged.
        var model = new AddressSpaceModel();
        foreach (var op in c.Ops)
        {
            model.Apply(op.Kind, At(op.Page), Pages(op.Count), op.Prot, Pages(op.OffsetPage));
        }
        var (results, summary) = Flush(stub);
        Assert.Equal(pending.Select(p => p.HostOp), results.Select(r => r.Sequence));
        Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal(MergedCounts(c.Coalesced), results.Select(r => r.MergedCount));
        Assert.Equal(c.Ops.Length, summary.Operations);
        Assert.Equal(expectedHostOps.Count, summary.HostOperations);
        model.AssertMapsMatch(stub, name);
    }

    [SkippableFact]
    public void WithoutCoalescingNothingMerges()
    {
        var stub = Start();
        var queued = new List<QueuedOp>();
        for (int i = 0; i < 4; i++)
        {
            queued.Add(stub.Enqueue(Mmap, At(i), Page, R, Pages(i), coalesce: false));
        }
        queued.Add(stub.Enqueue(Munmap, At(4), Page, None, 0, coalesce: false));
        queued.Add(stub.Enqueue(Munmap, At(5), Page, None, 0, coalesce: false));

        Assert.All(queued, q => Assert.False(q.Coalesced));
        AssertSequences(queued);
        Assert.Equal(6, stub.PendingOperations);
        Assert.Equal(0, stub.GetStatistics().CoalescedOperations);
        var (results, _) = Flush(stub);
        Assert.Equal(6, results.Count);
        Assert.All(results, r => Assert.Equal(1, r.MergedCount));
    }

    [SkippableFact]
    public void AnOpNeverMergesIntoOneAlreadyFlushed()
    {
        var stub = Start();
        var first = stub.Enqueue(Mmap, At(0), Page, R, 0);
        Flush(stub);
        var second = stub.Enqueue(Mmap, At(1), Page, R, Page);

        Assert.False(second.Coalesced);
        Assert.Equal(first.HostSequence + 1, second.HostSequence);
        Assert.False(stub.IsPending(first.HostSequence));
        Assert.True(stub.IsPending(second.HostSequence));
    }

    [SkippableFact]
    public void EnqueueingAVmOpRecordsWhereItWent()
    {
        var stub = Start();
        var a = new VmOp { Operation = Mmap, Address = At(0), Length = Page, Protection = R, Offset = 0 };
        var b = new VmOp { Operation = Mmap, Address = At(1), Length = Page, Protection = R, Offset = Page };
        var c = new VmOp { Operation = Munmap, Address = At(2), Length = Page };

        var qa = stub.Enqueue(a);
        stub.Enqueue(b);
        var qc = stub.Enqueue(c);

        Assert.Same(stub, a.Stub);
        Assert.Equal(qa.HostSequence, a.HostOp);
        Assert.Equal(a.HostOp, b.HostOp);
        Assert.False(a.Coalesced);
        Assert.True(b.Coalesced);
        Assert.False(c.Coalesced);
        Assert.Equal(qc.HostSequence, c.HostOp);
        Assert.Equal(a.HostOp + 1, c.HostOp);
    }

    [SkippableFact]
    public void ClearingDropsThePendingOpsWithoutRunningThem()
    {
        var stub = Start();
        stub.Enqueue(Mmap, At(0), Page, R, 0);
        stub.Enqueue(Mmap, At(4), Page, R, 0);

        Assert.Equal(2, stub.ClearPendingOperations());
        Assert.Equal(0, stub.PendingOperations);
        var (results, summary) = Flush(stub);
        Assert.Empty(results);
        Assert.Equal(0, summary.RoundTrips);
        Assert.DoesNotContain(ProcView.Maps(stub.ProcessId), m => m.Start < stub.UserAddressLimit);
    }

    private static void AssertSequences(IReadOnlyList<QueuedOp> queued)
    {
        for (int i = 1; i < queued.Count; i++)
        {
            long expected = queued[i].Coalesced ? queued[i - 1].HostSequence : queued[i - 1].HostSequence + 1;
            Assert.Equal(expected, queued[i].HostSequence);
        }
    }

    private static List<Op> Merge(Op[] ops, bool[] coalesced)
    {
        var hostOps = new List<Op>();
        for (int i = 0; i < ops.Length; i++)
        {
            if (coalesced[i])
            {
                hostOps[^1] = hostOps[^1] with { Count = hostOps[^1].Count + ops[i].Count };
            }
            else
            {
                hostOps.Add(ops[i]);
            }
        }
        return hostOps;
    }

    private static List<int> MergedCounts(bool[] coalesced)
    {
        var counts = new List<int>();
        foreach (bool merged in coalesced)
        {
            if (merged)
            {
                counts[^1]++;
            }
            else
            {
                counts.Add(1);
            }
        }
        return counts;
    }
}
