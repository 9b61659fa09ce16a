using UmlTlb.PageTables;

namespace UmlTlb.Tests;

/// <summary>
/// Page tables and Sync (fix_range_common): the radix tree against a sorted model, dirty entries
/// becoming merged host ops, /proc/pid/maps matching the table afterwards, what failed staying
/// dirty, -Force changing nothing on a table in sync, and dry runs that run nothing.
/// </summary>
public abstract class PageTableTests : StubTestBase
{
    protected PageTableTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : PageTableTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : PageTableTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : PageTableTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : PageTableTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write;

    [Fact]
    public void TheRadixTreeWalksExactlyTheEntriesOfARangeInOrder()
    {
        var random = new Random(Architecture == StubArchitecture.x86_64 ? 31 : 32);
        var tree = new PageRadix();
        var model = new SortedDictionary<ulong, ulong>();
        for (int step = 0; step < 3000; step++)
        {
            // Pages from a few clusters spread over the whole 2^36-page space.
            ulong page = ((ulong)random.Next(0, 4) << 33) + (ulong)random.Next(0, 2048);
            if (random.Next(3) == 0)
            {
                tree.Remove(page);
                model.Remove(page);
            }
            else
            {
                tree.GetOrAdd(page, out _).Offset = (ulong)step;
                model[page] = (ulong)step;
            }
        }
        Assert.Equal(model.Count, tree.Count);
        for (int q = 0; q < 200; q++)
        {
            ulong a = ((ulong)random.Next(0, 4) << 33) + (ulong)random.Next(0, 2100), b = a + (ulong)random.Next(0, 1 << 20);
            var walked = new List<(ulong, ulong)>();
            tree.Walk(a, b, (ulong page, ref PageEntry e) => walked.Add((page, e.Offset)));
            Assert.Equal(model.Where(kv => kv.Key >= a && kv.Key < b).Select(kv => (kv.Key, kv.Value)), walked);
        }
    }

    [SkippableFact]
    public void SyncMapsTheDirtyPagesWithMergedHostOpsAndMarksThemClean()
    {
        var stub = Start(physicalPages: 64);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(8), Pages(16), RW);
        table.Map(At(10), Pages(2), 0, R);
        Assert.Equal(10, table.DirtyCount);

        var sync = table.Sync();

        // Two runs of pages contiguous in address and offset: two host ops, one batch.
        Assert.Equal(2, sync.Results.Count);
        Assert.All(sync.Results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal([8, 2], sync.Results.Select(r => r.MergedCount));
        var s = sync.Summary;
        Assert.Equal((10L, 10L, 2L, 0L, 1L, 2L, 2.0), (s.Entries, s.Operations, s.HostOperations, s.SingleCalls, s.Batches, s.BatchedOperations, s.AverageBatchLength));
        Assert.Equal(10, s.Cleaned);
        Assert.Equal(0, table.DirtyCount);
        ExpectedMaps(table).AssertMapsMatch(stub, "after the sync");
        ShadowTests.AssertShadowMatches(stub, "after the sync");

        // Nothing dirty: the next sync queues nothing and makes no round trip.
        long switches = ProcView.VoluntarySwitches(stub.ProcessId);
        var again = table.Sync();
        Assert.Empty(again.Results);
        Assert.Equal(10, again.Summary.Entries);
        Assert.Equal(switches, ProcView.VoluntarySwitches(stub.ProcessId));
    }

    [SkippableFact]
    public void NewProtectionsBecomeMprotectsAndRemovedPagesMunmapsThenAreForgotten()
    {
        var stub = Start(physicalPages: 64);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(6), 0, RW);
        table.Sync();

        Assert.Equal(3, table.Protect(At(0), Pages(3), R));
        Assert.Equal(2, table.Unmap(At(4), Pages(2)));
        Assert.Equal(0, table.Unmap(At(20), Pages(2))); // not in the table: nothing to do
        var sync = table.Sync();

        Assert.Equal([(VmOpKind.Mprotect, At(0), Pages(3)), (VmOpKind.Munmap, At(4), Pages(2))], sync.Results.Select(r => (r.Operation, r.Address, r.Length)));
        Assert.Equal(4, table.Count);
        Assert.Equal(0, table.DirtyCount);
        ExpectedMaps(table).AssertMapsMatch(stub, "after protect and unmap");
        ShadowTests.AssertShadowMatches(stub, "after protect and unmap");
    }

    [SkippableFact]
    public void WhatFailsStaysDirtyAndTheNextSyncRetriesIt()
    {
        var stub = Start(physicalPages: 64);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(2), 0, RW);
        table.Sync();
        // Behind the table's back: page 1 goes away, so the mprotect meets a hole.
        stub.Enqueue(VmOpKind.Munmap, At(1), Page, VmProtection.None, 0);
        Flush(stub);
        table.Protect(At(0), Pages(2), R);

        // The hole keeps the two mprotects apart: page 0 is protected and clean, page 1 fails and stays dirty.
        var sync = table.Sync();
        Assert.Equal([VmOpStatus.Succeeded, VmOpStatus.Failed], sync.Results.Select(r => r.Status));
        Assert.Equal(1, sync.Summary.Cleaned);
        Assert.Equal(1, table.DirtyCount);
        Assert.Equal([PageChange.None, PageChange.NewProtection], table.GetPages().Select(p => p.Change));
        ShadowTests.AssertShadowMatches(stub, "after the failed sync");

        // -Force maps every present entry again: that repairs page 1.
        var forced = table.Sync(force: true);
        Assert.All(forced.Results, x => Assert.Equal(VmOpStatus.Succeeded, x.Status));
        Assert.Equal(0, table.DirtyCount);
        ExpectedMaps(table).AssertMapsMatch(stub, "after the forced sync");
        ShadowTests.AssertShadowMatches(stub, "after the forced sync");
    }

    [SkippableFact]
    public void AForcedSyncOfATableInSyncLeavesProcMapsByteIdentical()
    {
        var stub = Start(physicalPages: 64);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(4), 0, RW);
        table.Map(At(4), Pages(4), Pages(32), R);
        table.Map(At(12), Pages(1), Pages(8), VmProtection.None);
        table.Sync();
        string before = File.ReadAllText($"/proc/{stub.ProcessId}/maps");

        var forced = table.Sync(force: true);

        Assert.Equal(9, forced.Summary.Operations);
        Assert.All(forced.Results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal(before, File.ReadAllText($"/proc/{stub.ProcessId}/maps"));
    }

    [SkippableFact]
    public void AWalkVisitsTheEntriesPresentNotTheRange()
    {
        var stub = Start(physicalPages: 16);
        var table = new VmPageTable(stub);
        // 64 single pages spread over the whole user range (terabytes on x86_64).
        ulong stride = (stub.UserAddressLimit / 64) & ~(Page - 1);
        for (int i = 1; i < 64; i++)
        {
            table.Map((ulong)i * stride, Page, 0, R);
        }
        var sync = table.Sync(0, stub.UserAddressLimit);
        Assert.Equal(63, sync.Summary.Entries);
        Assert.Equal(63, sync.Summary.HostOperations);
        ShadowTests.AssertShadowMatches(stub, "sparse pages");
        Assert.Equal(63, stub.GetShadowMappings().Count);
    }

    [SkippableFact]
    public void ADryRunShowsTheHostOpsAndTheChangeAndRunsNothing()
    {
        var stub = Start(physicalPages: 64);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(4), 0, RW);
        table.Sync();
        table.Protect(At(0), Pages(2), R);
        table.Unmap(At(3), Page);
        table.Map(At(8), Pages(2), Pages(8), RW);
        stub.Enqueue(VmOpKind.Mmap, At(20), Page, R, 0); // pending before the sync: it runs first
        string maps = File.ReadAllText($"/proc/{stub.ProcessId}/maps");
        var shadow = stub.GetShadowMappings().Select(m => m.ToString()).ToList();
        long switches = ProcView.VoluntarySwitches(stub.ProcessId);

        var preview = table.PreviewSync();

        Assert.Equal(maps, File.ReadAllText($"/proc/{stub.ProcessId}/maps"));
        Assert.Equal(shadow, stub.GetShadowMappings().Select(m => m.ToString()));
        Assert.Equal(switches, ProcView.VoluntarySwitches(stub.ProcessId));
        Assert.Equal(1, stub.PendingOperations);
        Assert.Equal(5, table.DirtyCount);
        Assert.Equal(["mmap(" + $"0x{At(20):x}, 0x1000, r--, offset 0x0)", $"mprotect(0x{At(0):x}, 0x2000, r--)", $"munmap(0x{At(3):x}, 0x1000)", $"mmap(0x{At(8):x}, 0x2000, rw-, offset 0x8000)"],
            preview.HostOperations.Select(o => o.ToString()));
        Assert.Equal((2, 1, 1, 0), (preview.Mapped, preview.Unmapped, preview.ProtectionChanged, preview.Remapped));

        // What the dry run said is what the sync does.
        var before = stub.GetMappings();
        table.Sync();
        var actual = Shadow.MappingDiff.Compare(before, stub.GetMappings());
        Assert.Equal(preview.Changes.Select(c => c.ToString()), actual.Select(c => c.ToString()));
    }

    [SkippableFact]
    public void StatisticsGiveTheAverageBatchLength()
    {
        var stub = Start(physicalPages: 256);
        var table = new VmPageTable(stub);
        for (int i = 0; i < 200; i++)
        {
            table.Map(At(2 * i), Page, Pages(i), R); // apart: none merges
        }
        var s = table.Sync().Summary;
        var stats = stub.GetStatistics();
        Assert.Equal(200, s.BatchedOperations);
        Assert.True(s.Batches >= 2, $"{s.Batches} batches");
        Assert.Equal(200.0 / s.Batches, s.AverageBatchLength);
        Assert.Equal((double)stats.BatchedOperations / stats.Batches, stats.AverageBatchLength);
    }

    [SkippableFact]
    public void EditsAreCheckedAgainstTheStub()
    {
        var stub = Start(physicalPages: 16);
        var table = new VmPageTable(stub);
        Assert.Equal(VmOpRejectionReason.AddressNotAligned, Assert.Throws<VmOpRejectedException>(() => table.Map(At(0) + 1, Page, 0, R)).Rejection.Reason);
        Assert.Equal(VmOpRejectionReason.BeyondPhysicalMemory, Assert.Throws<VmOpRejectedException>(() => table.Map(At(0), Page, Pages(16), R)).Rejection.Reason);
        Assert.Equal(VmOpRejectionReason.RangeBeyondUserLimit, Assert.Throws<VmOpRejectedException>(() => table.Unmap(stub.UserAddressLimit, Page)).Rejection.Reason);
        Assert.Equal(0, table.Count);
    }

    /// <summary>The pages the table says are present, as the model /proc must match.</summary>
    private static AddressSpaceModel ExpectedMaps(VmPageTable table)
    {
        var model = new AddressSpaceModel();
        foreach (var p in table.GetPages().Where(p => p.Present))
        {
            model.Apply(VmOpKind.Mmap, p.Address, Page, p.Protection, p.Offset);
        }
        return model;
    }
}
