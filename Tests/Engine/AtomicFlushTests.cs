namespace UmlTlb.Tests;

/// <summary>
/// Atomic flushes: random flushes, streamed over several data areas, with a failure injected at a
/// random position, must leave /proc/pid/maps byte-identical to before, the ops before the failure
/// RolledBack, the failing one Failed, those after it Skipped, and a shadow that agrees with /proc.
/// Without a failure an atomic flush ends as a plain one does.
/// </summary>
public abstract class AtomicFlushTests : StubTestBase
{
    private const int WindowPages = 48;
    private const int PhysicalPages = 64;

    protected AtomicFlushTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : AtomicFlushTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : AtomicFlushTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : AtomicFlushTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : AtomicFlushTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    private readonly record struct Op(VmOpKind Kind, ulong Address, ulong Length, VmProtection Protection, ulong Offset);

    [SkippableFact]
    public void AFailureAnywhereRollsTheWholeFlushBack()
    {
        SkipUnlessSupported();
        var random = new Random(Architecture == StubArchitecture.x86_64 ? 601 : 602);
        var stub = Start(physicalPages: PhysicalPages);
        int cases = Environment.GetEnvironmentVariable("UMLTLB_SOAK") == "1" ? 400 : 30;
        int multiArea = 0, partial = 0;
        for (int c = 0; c < cases; c++)
        {
            // A varied starting point, made by a plain flush that may itself fail somewhere.
            foreach (var op in RandomOps(random, random.Next(5, 40)))
            {
                stub.Enqueue(op.Kind, op.Address, op.Length, op.Protection, op.Offset);
            }
            Flush(stub, continueOnError: true);
            string before = File.ReadAllText($"/proc/{stub.ProcessId}/maps");

            // Up to three data areas of ops that cannot fail; one mprotect runs into the hole above the window.
            var ops = RandomOps(random, random.Next(1, 3 * stub.BatchCapacity), AddressSpaceModel.FromMappings(stub.GetShadowMappings()));
            int inject = random.Next(0, ops.Count + 1);
            int reach = random.Next(1, 5);
            ops.Insert(inject, new Op(VmOpKind.Mprotect, At(WindowPages - reach + 1), Pages(reach), VmProtection.Read, 0));
            partial += reach > 1 && ShadowMapped(stub, At(WindowPages - reach + 1)) ? 1 : 0;

            var flush = stub.BeginAtomicFlush();
            foreach (var op in ops)
            {
                stub.Enqueue(op.Kind, op.Address, op.Length, op.Protection, op.Offset, coalesce: false);
                flush.RunFullDataAreas();
            }
            var results = new List<VmOpResult>();
            var summary = flush.Complete(results.Add);

            string context = $"case {c}: {ops.Count} ops, failure injected at {inject}";
            Assert.Equal(ops.Count, results.Count);
            int failed = results.FindIndex(r => r.Status == VmOpStatus.Failed);
            Assert.True(failed == inject, $"{context}: first failure at {failed}");
            Assert.All(results.Take(failed), r => Assert.Equal(VmOpStatus.RolledBack, r.Status));
            Assert.All(results.Skip(failed + 1), r => Assert.Equal(VmOpStatus.Skipped, r.Status));
            Assert.Equal(failed, summary.RolledBack);
            Assert.True(flush.Rollback.Count == 0 || flush.RolledBack, $"{context}: an inverse op failed: {string.Join("; ", flush.Rollback)}");
            Assert.Equal(before, File.ReadAllText($"/proc/{stub.ProcessId}/maps"));
            ShadowTests.AssertShadowMatches(stub, context);
            multiArea += summary.Batches > 1 ? 1 : 0;
        }
        Output.WriteLine($"{cases} cases, {multiArea} over more than one data area, {partial} with a failing mprotect that changed pages first");
        Assert.True(multiArea > 0 && partial > 0, "the cases did not exercise streaming and partly applied failures");
    }

    [SkippableFact]
    public void WithoutAFailureAnAtomicFlushEndsAsAPlainOne()
    {
        SkipUnlessSupported();
        var random = new Random(Architecture == StubArchitecture.x86_64 ? 603 : 604);
        var atomicStub = Start(physicalPages: PhysicalPages);
        var plainStub = Start(physicalPages: PhysicalPages);
        for (int c = 0; c < 10; c++)
        {
            // Only mmaps and munmaps: nothing can fail.
            var ops = RandomOps(random, random.Next(1, 2 * atomicStub.BatchCapacity)).Where(o => o.Kind != VmOpKind.Mprotect).ToList();
            var flush = atomicStub.BeginAtomicFlush();
            foreach (var op in ops)
            {
                atomicStub.Enqueue(op.Kind, op.Address, op.Length, op.Protection, op.Offset);
                plainStub.Enqueue(op.Kind, op.Address, op.Length, op.Protection, op.Offset);
                flush.RunFullDataAreas();
            }
            var results = new List<VmOpResult>();
            var summary = flush.Complete(results.Add);
            var (plainResults, _) = Flush(plainStub);

            Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
            Assert.Equal(0, summary.RolledBack);
            Assert.Empty(flush.Rollback);
            Assert.Equal(plainResults.Count, results.Count);
            Assert.Equal(UserMaps(plainStub), UserMaps(atomicStub));
            ShadowTests.AssertShadowMatches(atomicStub, $"case {c}");
        }
    }

    [SkippableFact]
    public void AnAtomicSyncRollsBackAndLeavesItsEntriesDirty()
    {
        SkipUnlessSupported();
        var stub = Start(physicalPages: PhysicalPages);
        var table = new VmPageTable(stub);
        table.Map(At(0), Pages(4), 0, VmProtection.Read | VmProtection.Write);
        table.Sync();
        // Page 2 goes away behind the table's back: protecting all four meets its hole.
        stub.Enqueue(VmOpKind.Munmap, At(2), Page, VmProtection.None, 0);
        Flush(stub);
        string before = File.ReadAllText($"/proc/{stub.ProcessId}/maps");
        table.Protect(At(0), Pages(4), VmProtection.Read);
        table.Map(At(8), Pages(2), Pages(8), VmProtection.Read);

        var sync = table.Sync(atomic: true);

        Assert.Contains(sync.Results, r => r.Status == VmOpStatus.Failed);
        Assert.True(sync.Summary.RolledBack > 0);
        Assert.Equal(before, File.ReadAllText($"/proc/{stub.ProcessId}/maps"));
        Assert.Equal(6, table.DirtyCount);
        ShadowTests.AssertShadowMatches(stub, "after the rolled back sync");
    }

    [SkippableFact]
    public void OneAtomicFlushAtATimePerStub()
    {
        SkipUnlessSupported();
        var stub = Start();
        var first = stub.BeginAtomicFlush();
        Assert.Throws<InvalidOperationException>(() => stub.BeginAtomicFlush());
        first.Complete(null);
        stub.BeginAtomicFlush().Complete(null);
    }

    /// <summary>
    /// Random ops in the window; with a <paramref name="model"/> of the pages mapped, an mprotect
    /// that would meet a hole becomes an mmap, so that none fails.
    /// </summary>
    private List<Op> RandomOps(Random random, int count, AddressSpaceModel? model = null)
    {
        var ops = new List<Op>(count);
        var prots = new[] { VmProtection.Read, VmProtection.Read | VmProtection.Write, VmProtection.None, VmProtection.Read | VmProtection.Execute };
        for (int i = 0; i < count; i++)
        {
            int page = random.Next(0, WindowPages - 4);
            int pages = random.Next(1, 5);
            var prot = prots[random.Next(prots.Length)];
            var op = random.Next(10) switch
            {
                < 5 => new Op(VmOpKind.Mmap, At(page), Pages(pages), prot, Pages(random.Next(0, PhysicalPages - 4))),
                < 7 => new Op(VmOpKind.Munmap, At(page), Pages(pages), VmProtection.None, 0),
                _ when model is not null && !model.FullyMapped(At(page), Pages(pages)) => new Op(VmOpKind.Mmap, At(page), Pages(pages), prot, Pages(random.Next(0, PhysicalPages - 4))),
                _ => new Op(VmOpKind.Mprotect, At(page), Pages(pages), prot, 0),
            };
            model?.Apply(op.Kind, op.Address, op.Length, op.Protection, op.Offset);
            ops.Add(op);
        }
        return ops;
    }

    private static bool ShadowMapped(StubProcess stub, ulong address) =>
        stub.GetShadowMappings().Any(m => m.Start <= address && address < m.End);

    private static List<(ulong, ulong, string, ulong)> UserMaps(StubProcess stub) =>
        ProcView.Maps(stub.ProcessId).Where(m => m.Start < stub.UserAddressLimit).Select(m => (m.Start, m.End, m.Perms, m.Offset)).ToList();
}
