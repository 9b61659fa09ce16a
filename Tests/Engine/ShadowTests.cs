using UmlTlb.Shadow;

namespace UmlTlb.Tests;

/// <summary>
/// The shadow address space: its interval map against a page-by-page model, and against
/// /proc/pid/maps after real flushes, failed ones included; the hole rule for merging mprotects.
/// </summary>
public abstract class ShadowTests : StubTestBase
{
    protected ShadowTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : ShadowTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : ShadowTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : ShadowTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : ShadowTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private const VmOpKind Mmap = VmOpKind.Mmap, Munmap = VmOpKind.Munmap, Mprotect = VmOpKind.Mprotect;
    private const VmProtection R = VmProtection.Read, RW = VmProtection.Read | VmProtection.Write, None = VmProtection.None;

    [Fact]
    public void TheIntervalMapAgreesWithAPageModelOverRandomOps()
    {
        // Pure: no stub. Pages in two clusters a terabyte apart, so that ranges are sparse.
        var random = new Random(Architecture == StubArchitecture.x86_64 ? 1107 : 1108);
        var map = new RangeMap();
        var model = new AddressSpaceModel();
        ulong[] bases = [0x10000000UL, 0x10000000UL + (1UL << 40)];
        for (int step = 0; step < 4000; step++)
        {
            ulong start = bases[random.Next(2)] + (ulong)random.Next(0, 96) * Page;
            ulong length = (ulong)random.Next(1, random.Next(2) == 0 ? 4 : 40) * Page;
            var prot = (VmProtection)random.Next(0, 8);
            ulong offset = (ulong)random.Next(0, 64) * Page;
            switch (random.Next(3))
            {
                case 0:
                    map.Map(start, start + length, offset, prot);
                    model.Apply(Mmap, start, length, prot, offset);
                    break;
                case 1:
                    map.Unmap(start, start + length);
                    model.Apply(Munmap, start, length, None, 0);
                    break;
                default:
                    // What the shadow does for an mprotect: protect up to the first hole.
                    ulong? hole = map.FirstHole(start, start + length);
                    map.Protect(start, hole ?? start + length, prot);
                    long result = model.Apply(Mprotect, start, length, prot, 0);
                    Assert.Equal(hole is null, result == 0);
                    break;
            }
            AssertSame(model, map, $"step {step}");
        }
        Output.WriteLine($"{map.Count} ranges at the end");
    }

    [SkippableFact]
    public void AFailedMprotectChangesThePagesBeforeTheHoleInTheShadowAsInTheKernel()
    {
        var stub = Start();
        stub.Enqueue(Mmap, At(0), Pages(2), RW, 0);
        stub.Enqueue(Mmap, At(3), Pages(1), RW, Pages(3));
        Flush(stub);
        stub.Enqueue(Mprotect, At(0), Pages(4), R, 0);
        var (results, _) = Flush(stub);

        var r = Assert.Single(results);
        Assert.Equal(VmOpStatus.Failed, r.Status);
        Assert.Equal("ENOMEM", r.Errno);
        var model = new AddressSpaceModel();
        model.Apply(Mmap, At(0), Pages(2), RW, 0);
        model.Apply(Mmap, At(3), Pages(1), RW, Pages(3));
        model.Apply(Mprotect, At(0), Pages(4), R, 0);
        model.AssertMapsMatch(stub, "after the failed mprotect");
        AssertShadowMatches(stub, "after the failed mprotect");
        // Pages 0-1 read-only, page 3 still read-write: the shadow says so too.
        Assert.Equal([(At(0), At(2), R), (At(3), At(4), RW)], stub.GetShadowMappings().Select(m => (m.Start, m.End, m.Protection)));
    }

    [SkippableFact]
    public void SkippedOpsAndAFailedMmapChangeNothingInTheShadow()
    {
        var stub = Start();
        stub.Enqueue(Mmap, At(0), Pages(1), RW, 0);
        Flush(stub);
        stub.Enqueue(Mprotect, At(1), Pages(1), R, 0, coalesce: false); // a hole: fails at once
        stub.Enqueue(Munmap, At(0), Pages(1), None, 0, coalesce: false); // skipped
        var (results, _) = Flush(stub);

        Assert.Equal([VmOpStatus.Failed, VmOpStatus.Skipped], results.Select(r => r.Status));
        Assert.Equal([(At(0), At(1), RW)], stub.GetShadowMappings().Select(m => (m.Start, m.End, m.Protection)));
        AssertShadowMatches(stub, "after a failed and a skipped op");
    }

    [SkippableFact]
    public void MprotectsMergeOnlyWhereTheMergedRangeHasNoHole()
    {
        var stub = Start();
        // Pages 0 and 2 mapped, 1 a hole (different offsets, so the mmaps do not merge either).
        stub.Enqueue(Mmap, At(0), Page, RW, 0);
        stub.Enqueue(Mmap, At(2), Page, RW, Pages(8));
        Flush(stub);

        // The 2005 rule would merge all three into one host op failing at page 1 and leaving page 2 writable.
        var queued = new[] { 0, 1, 2 }.Select(p => stub.Enqueue(Mprotect, At(p), Page, R, 0)).ToList();
        Assert.All(queued, q => Assert.False(q.Coalesced));
        var (results, _) = Flush(stub, continueOnError: true);
        Assert.Equal([VmOpStatus.Succeeded, VmOpStatus.Failed, VmOpStatus.Succeeded], results.Select(r => r.Status));
        var model = new AddressSpaceModel();
        model.Apply(Mmap, At(0), Page, R, 0);
        model.Apply(Mmap, At(2), Page, R, Pages(8));
        model.AssertMapsMatch(stub, "both mapped pages read-only");
        AssertShadowMatches(stub, "after the mprotects");

        // A pending mmap that fills the hole counts: then they merge.
        stub.Enqueue(Mmap, At(1), Page, RW, Pages(20));
        var first = stub.Enqueue(Mprotect, At(0), Page, RW, 0);
        var second = stub.Enqueue(Mprotect, At(1), Pages(2), RW, 0);
        Assert.True(second.Coalesced);
        Assert.Equal(first.HostSequence, second.HostSequence);
        (results, _) = Flush(stub);
        Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        AssertShadowMatches(stub, "after the merged mprotect");

        // A pending munmap that makes a hole counts too: then they do not.
        stub.Enqueue(Munmap, At(1), Page, None, 0);
        stub.Enqueue(Mprotect, At(0), Page, R, 0);
        Assert.False(stub.Enqueue(Mprotect, At(1), Pages(2), R, 0).Coalesced);
        Flush(stub, continueOnError: true);
        AssertShadowMatches(stub, "after the unmerged mprotects");
    }

    [SkippableFact]
    public void ClearingTheQueueForgetsWhatItsOpsWouldHaveMapped()
    {
        var stub = Start();
        stub.Enqueue(Mmap, At(0), Pages(2), RW, 0);
        stub.Enqueue(Mprotect, At(0), Page, R, 0);
        Assert.True(stub.Enqueue(Mprotect, At(1), Page, R, 0).Coalesced);
        stub.ClearPendingOperations();

        stub.Enqueue(Mprotect, At(0), Page, R, 0);
        Assert.False(stub.Enqueue(Mprotect, At(1), Page, R, 0).Coalesced);
    }

    [SkippableFact]
    public void TheShadowHoldsSparseRangesAsFewEntries()
    {
        var stub = Start(physicalPages: 16);
        // Far apart: a terabyte on x86_64, 256 MiB on i386; each a run of pages that merges into one range.
        ulong stride = Architecture == StubArchitecture.x86_64 ? 1UL << 40 : 1UL << 28;
        ulong first = Architecture == StubArchitecture.x86_64 ? 0x100000000UL : 0x10000000UL;
        int runs = Architecture == StubArchitecture.x86_64 ? 100 : 10;
        for (int i = 0; i < runs; i++)
        {
            for (int p = 0; p < 8; p++)
            {
                stub.Enqueue(Mmap, first + (ulong)i * stride + Pages(p), Page, RW, Pages(p), coalesce: false);
            }
        }
        var (results, _) = Flush(stub);
        Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));

        var shadow = stub.GetShadowMappings();
        Assert.Equal(runs, shadow.Count);
        Assert.All(shadow, m => Assert.Equal(Pages(8), m.Length));
        AssertShadowMatches(stub, "sparse runs");
    }

    [SkippableFact]
    public void CompareWithShadowReportsWhatChangedBehindItsBack()
    {
        var stub = Start();
        stub.Enqueue(Mmap, At(0), Pages(3), RW, 0);
        Flush(stub);
        Assert.Empty(stub.CompareWithShadow());

        // A syscall the flush never saw: the shadow cannot know, the comparison must tell.
        long nr = Architecture == StubArchitecture.x86_64 ? 10 : 125; // mprotect
        Assert.Equal(0, stub.RunSingleSyscall(nr, At(1), Page, (ulong)R));
        var change = Assert.Single(stub.CompareWithShadow());
        Assert.Equal((At(1), At(2), MappingChangeKind.ProtectionChanged), (change.Start, change.End, change.Change));
        Assert.Equal(RW, change.Before!.Protection);
        Assert.Equal(R, change.After!.Protection);
    }

    /// <summary>The interval map holds exactly the model's pages, sorted, disjoint and with continuing neighbours merged.</summary>
    private static void AssertSame(AddressSpaceModel model, RangeMap map, string context)
    {
        var pages = new Dictionary<ulong, ModelPage>();
        ShadowRange? previous = null;
        int count = 0;
        foreach (var r in map.All)
        {
            count++;
            Assert.True(r.Start < r.End, $"{context}: empty range {r}");
            if (previous is { } p)
            {
                Assert.True(p.End <= r.Start, $"{context}: {p} and {r} are out of order or overlap");
                Assert.False(p.ContinuesInto(r), $"{context}: {p} and {r} should have merged");
            }
            for (ulong a = r.Start; a < r.End; a += Page)
            {
                pages[a] = new ModelPage(r.Offset + (a - r.Start), r.Protection);
            }
            previous = r;
        }
        Assert.Equal(count, map.Count);
        Assert.True(pages.Count == model.Pages.Count && pages.All(kv => model.Pages.TryGetValue(kv.Key, out var m) && m == kv.Value),
            $"{context}: the map holds {pages.Count} pages, the model {model.Pages.Count}, or they differ");
    }

    /// <summary>
    /// The shadow, page by page, against /proc/pid/maps read by the tests themselves; and the engine's
    /// own comparison must find nothing.
    /// </summary>
    internal static void AssertShadowMatches(StubProcess stub, string context)
    {
        AddressSpaceModel.FromMappings(stub.GetShadowMappings()).AssertMapsMatch(stub, $"{context} (shadow against /proc)");
        var differences = stub.CompareWithShadow();
        Assert.True(differences.Count == 0, $"{context}: CompareWithShadow found {string.Join("; ", differences)}");
    }
}
