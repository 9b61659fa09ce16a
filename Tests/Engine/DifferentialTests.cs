using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace UmlTlb.Tests;

/// <summary>
/// The centrepiece: random op sequences run (a) queued and flushed in one go, merged and
/// streamed through full data areas, and (b) one op per flush, each on a fresh stub, and
/// applied to <see cref="AddressSpaceModel"/>. /proc/pid/maps, the memory read from outside
/// and every op's result must agree with the model, after every flush.
/// Reproducible: the seed is fixed (UMLTLB_PROPERTY_SEED overrides it, UMLTLB_PROPERTY_CASES the case count, UMLTLB_SOAK=1 raises it).
/// </summary>
public abstract class DifferentialTests : StubTestBase
{
    private const int WindowPages = 64;
    private const int PhysicalPages = 128;
    /// <summary>More than two data areas' worth at one page on either architecture (66 and 139 host ops).</summary>
    private const int MaxOps = 300;

    protected DifferentialTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : DifferentialTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : DifferentialTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : DifferentialTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : DifferentialTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    /// <summary>A generated op: Kind 0 mmap, 1 munmap, 2 mprotect; Continue makes it extend the op before it (same kind, protection, next offset).</summary>
    public sealed record GenOp(int Kind, int Page, int Count, int Prot, int OffsetPage, bool Continue);

    /// <summary>
    /// A sequence of ops. Without <see cref="AllowFailures"/> every mprotect covers mapped pages
    /// (others become mmaps) and the batched run merges; with it mprotects may meet holes
    /// (ENOMEM after changing the pages before the hole) and nothing merges, so that one
    /// queued op is one host op with its own result.
    /// </summary>
    public sealed record Scenario(GenOp[] Ops, bool AllowFailures, bool ContinueOnError)
    {
        public override string ToString()
        {
            var text = new StringBuilder($"Scenario(AllowFailures={AllowFailures}, ContinueOnError={ContinueOnError}, {Ops.Length} ops:");
            foreach (var op in Ops)
            {
                text.Append(CultureInfo.InvariantCulture, $" [{"MUP"[op.Kind]} p{op.Page}+{op.Count} prot{op.Prot} o{op.OffsetPage}{(op.Continue ? " cont" : "")}]");
            }
            return text.Append(')').ToString();
        }
    }

    private sealed record ResolvedOp(VmOpKind Kind, ulong Address, ulong Length, VmProtection Prot, ulong Offset)
    {
        public override string ToString() => $"{Kind} 0x{Address:x}+{Length / Page}p {AddressSpaceModel.Perms(Prot)} o{Offset / Page}";
    }

    /// <summary>What the model says an op returns; Skipped when an earlier failure stopped the flush.</summary>
    private readonly record struct Outcome(VmOpStatus Status, long Result);

    private sealed record Plan(List<ResolvedOp> Ops, List<Outcome> Expected, List<AddressSpaceModel> After);

    private static Gen<GenOp> OpGen =>
        from kind in Gen.Frequency((45, Gen.Constant(0)), (20, Gen.Constant(1)), (35, Gen.Constant(2)))
        from page in Gen.Choose(0, WindowPages - 1)
        from count in Gen.Frequency((40, Gen.Constant(1)), (30, Gen.Choose(2, 4)), (20, Gen.Choose(5, 16)), (10, Gen.Choose(17, WindowPages)))
        from prot in Gen.Choose(0, 7)
        from offset in Gen.Choose(0, PhysicalPages - 1)
        from cont in Gen.Frequency((6, Gen.Constant(false)), (4, Gen.Constant(true)))
        select new GenOp(kind, page, count, prot, offset, cont);

    private static Gen<Scenario> ScenarioGen =>
        from n in Gen.Frequency((3, Gen.Choose(1, 20)), (4, Gen.Choose(21, 90)), (3, Gen.Choose(91, MaxOps)))
        from ops in OpGen.ArrayOf(n)
        from allowFailures in Gen.Elements(false, true)
        from continueOnError in Gen.Elements(false, true)
        select new Scenario(ops, allowFailures, continueOnError);

    /// <summary>Shrink candidates left: each one starts two stubs, so a failure's shrinking stays within a minute or so.</summary>
    private int _shrinkBudget = 400;

    private IEnumerable<Scenario> Shrink(Scenario s) => ShrinkCandidates(s).TakeWhile(_ => _shrinkBudget-- > 0);

    private static IEnumerable<Scenario> ShrinkCandidates(Scenario s)
    {
        int n = s.Ops.Length;
        for (int size = n / 2; size >= 1; size /= 2)
        {
            for (int start = 0; start + size <= n; start += size)
            {
                yield return s with { Ops = s.Ops.Take(start).Concat(s.Ops.Skip(start + size)).ToArray() };
            }
        }
        for (int i = 0; i < n; i++)
        {
            if (s.Ops[i].Continue || s.Ops[i].Count > 1)
            {
                var ops = (GenOp[])s.Ops.Clone();
                ops[i] = ops[i] with { Continue = false, Count = 1 };
                yield return s with { Ops = ops };
            }
        }
        if (s.ContinueOnError)
        {
            yield return s with { ContinueOnError = false };
        }
    }

    private int _cases, _ops, _hostOps, _failures, _skipped, _batches, _multiBatchCases, _coalesced, _flushes;

    [SkippableFact]
    public void BatchedAndSingleFlushesMatchTheModelAndEachOther()
    {
        SkipUnlessSupported();
        // build.ps1 Test -Soak (UMLTLB_SOAK=1) runs twenty-five times as many scenarios.
        var (seed, config) = PropertyRuns.Configure(Architecture == StubArchitecture.x86_64 ? 20051107UL : 20051108UL, cases: 40, soakCases: 1000);

        Check.One(config, Prop.ForAll(Arb.From(ScenarioGen, Shrink), (Scenario s) => RunScenario(s)));

        Output.WriteLine($"seed {seed}: {_cases} cases, {_ops} ops ({_hostOps} host ops batched, {_coalesced} merged, {_batches} batches, {_multiBatchCases} cases streamed more than one), " +
            $"{_failures} failed and {_skipped} skipped per the model, {_flushes} single flushes");
        // The mix must have exercised what it is for.
        Assert.True(_failures > 0 && _skipped > 0 && _coalesced > 0 && _multiBatchCases > 0, "the generated mix is too tame");
    }

    private int _mergeCases, _mergedHostOps, _holeRefusals;

    /// <summary>
    /// Merging never changes the outcome: random sequences with holes run merged and unmerged,
    /// each on its own stub, end with the same /proc/pid/maps, the model's, and a shadow that agrees.
    /// </summary>
    [SkippableFact]
    public void MergedAndUnmergedFlushesEndTheSame()
    {
        SkipUnlessSupported();
        var (seed, config) = PropertyRuns.Configure(Architecture == StubArchitecture.x86_64 ? 20051109UL : 20051110UL, cases: 25, soakCases: 500);
        var withHoles = from sc in ScenarioGen select sc with { AllowFailures = true };

        Check.One(config, Prop.ForAll(Arb.From(withHoles, Shrink), (Scenario s) => RunMergedAndUnmerged(s)));

        Output.WriteLine($"seed {seed}: {_mergeCases} cases, {_mergedHostOps} host ops merged, {_holeRefusals} merges refused for a hole");
        Assert.True(_holeRefusals > 0, "no case met a hole between mprotects that the 2005 rule would have merged");
    }

    private void RunMergedAndUnmerged(Scenario s)
    {
        var plan = Resolve(s);
        var pattern = new PhysicalPattern(0x5A5A_0000_0000_0000UL ^ (ulong)s.Ops.Length);
        var pages = new List<IReadOnlyList<MapLine>>();
        foreach (bool coalesce in new[] { true, false })
        {
            var stub = StartWithPattern(pattern);
            try
            {
                var flush = stub.BeginFlush(s.ContinueOnError);
                var results = new List<VmOpResult>();
                foreach (var op in plan.Ops)
                {
                    stub.Enqueue(op.Kind, op.Address, op.Length, op.Prot, op.Offset, coalesce);
                    flush.RunFullDataAreas(results.Add);
                }
                flush.Complete(results.Add);
                string context = $"{(coalesce ? "merged" : "unmerged")}, {s}";
                (plan.After.Count > 0 ? plan.After[^1] : new AddressSpaceModel()).AssertMapsMatch(stub, context);
                ShadowTests.AssertShadowMatches(stub, context);
                pages.Add(ProcView.Maps(stub.ProcessId).Where(m => m.Start < stub.UserAddressLimit).ToList());
                if (coalesce)
                {
                    int seedHostOps = SeedRuleHostOps(plan.Ops);
                    _mergedHostOps += plan.Ops.Count - results.Count;
                    _holeRefusals += results.Count - seedHostOps;
                }
            }
            finally
            {
                stub.Stop();
            }
        }
        _mergeCases++;
    }

    /// <summary>How many host ops the 2005 rules alone (no hole check) make of <paramref name="ops"/>.</summary>
    private static int SeedRuleHostOps(List<ResolvedOp> ops)
    {
        int count = 0;
        ResolvedOp? last = null;
        foreach (var op in ops)
        {
            bool absorbs = last is not null && last.Kind == op.Kind && last.Address + last.Length == op.Address && op.Kind switch
            {
                VmOpKind.Mmap => last.Prot == op.Prot && last.Offset + last.Length == op.Offset,
                VmOpKind.Mprotect => last.Prot == op.Prot,
                _ => true,
            };
            if (absorbs)
            {
                last = last! with { Length = last.Length + op.Length };
            }
            else
            {
                count++;
                last = op;
            }
        }
        return count;
    }

    private void RunScenario(Scenario s)
    {
        var plan = Resolve(s);
        var pattern = new PhysicalPattern(0xA5A5_0000_0000_0000UL ^ (ulong)s.Ops.Length);
        var batched = RunBatched(s, plan, pattern);
        var single = RunSingly(s, plan, pattern);
        // Both paths, op by op (an mmap's result is its host op's address, so compare its success only).
        for (int i = 0; i < plan.Ops.Count; i++)
        {
            Assert.True(batched[i] == single[i], $"op {i} {plan.Ops[i]}: batched {batched[i]}, single {single[i]}");
        }
        _cases++;
        _ops += plan.Ops.Count;
        _failures += plan.Expected.Count(e => e.Status == VmOpStatus.Failed);
        _skipped += plan.Expected.Count(e => e.Status == VmOpStatus.Skipped);
    }

    /// <summary>Turns generated ops into real ones and runs them through the model.</summary>
    private Plan Resolve(Scenario s)
    {
        var model = new AddressSpaceModel();
        var plan = new Plan(new(), new(), new());
        bool stopped = false;
        ResolvedOp? previous = null;
        foreach (var g in s.Ops)
        {
            var kind = (VmOpKind)(g.Kind + 1);
            int page = g.Page, offset = g.OffsetPage;
            var prot = (VmProtection)g.Prot;
            if (g.Continue && previous is not null && previous.Address + previous.Length < At(WindowPages))
            {
                kind = previous.Kind;
                page = (int)((previous.Address + previous.Length - WindowBase) / Page);
                prot = previous.Prot;
                offset = (int)((previous.Offset + previous.Length) / Page);
            }
            int count = Math.Min(g.Count, WindowPages - page);
            if (offset + count > PhysicalPages)
            {
                offset = PhysicalPages - count;
            }
            var op = new ResolvedOp(kind, At(page), Pages(count), kind == VmOpKind.Munmap ? VmProtection.None : prot, kind == VmOpKind.Mmap ? Pages(offset) : 0);
            if (!s.AllowFailures && kind == VmOpKind.Mprotect && !model.FullyMapped(op.Address, op.Length))
            {
                op = op with { Kind = VmOpKind.Mmap, Offset = Pages(offset) };
            }
            if (stopped)
            {
                plan.Expected.Add(new Outcome(VmOpStatus.Skipped, 0));
            }
            else
            {
                long result = model.Apply(op.Kind, op.Address, op.Length, op.Prot, op.Offset);
                bool failed = result == AddressSpaceModel.ENOMEM;
                plan.Expected.Add(new Outcome(failed ? VmOpStatus.Failed : VmOpStatus.Succeeded, result));
                stopped = failed && !s.ContinueOnError;
            }
            plan.Ops.Add(op);
            plan.After.Add(model.Clone());
            previous = op;
        }
        return plan;
    }

    private StubProcess StartWithPattern(PhysicalPattern pattern)
    {
        var stub = Start(physicalPages: PhysicalPages);
        pattern.WriteTo(stub, PhysicalPages);
        return stub;
    }

    /// <summary>(a): everything queued, full data areas run while queueing, the rest at the end.</summary>
    private List<Outcome> RunBatched(Scenario s, Plan plan, PhysicalPattern pattern)
    {
        var stub = StartWithPattern(pattern);
        try
        {
            var flush = stub.BeginFlush(s.ContinueOnError);
            var results = new List<VmOpResult>();
            var sequences = new List<long>();
            foreach (var op in plan.Ops)
            {
                sequences.Add(stub.Enqueue(op.Kind, op.Address, op.Length, op.Prot, op.Offset, coalesce: !s.AllowFailures).HostSequence);
                flush.RunFullDataAreas(results.Add);
            }
            var summary = flush.Complete(results.Add);

            Assert.Equal(sequences.Distinct(), results.Select(r => r.Sequence));
            Assert.Equal(plan.Ops.Count, summary.Operations);
            Assert.Equal(plan.Ops.Count, results.Sum(r => r.MergedCount));
            var bySequence = results.ToDictionary(r => r.Sequence);
            var outcomes = new List<Outcome>();
            for (int i = 0; i < plan.Ops.Count; i++)
            {
                var r = bySequence[sequences[i]];
                var op = plan.Ops[i];
                Assert.True(r.Address <= op.Address && op.Address + op.Length <= r.End && r.Operation == op.Kind,
                    $"op {i} {op} is not inside its host op {r}");
                var expected = plan.Expected[i];
                Assert.True(r.Status == expected.Status, $"batched op {i} {op}: {r}, the model says {expected}");
                long result = r.Status == VmOpStatus.Succeeded && op.Kind == VmOpKind.Mmap ? Expect((long)r.Address, r.Result) : r.Result;
                Assert.True(result == expected.Result || (op.Kind == VmOpKind.Mmap && r.Status == VmOpStatus.Succeeded),
                    $"batched op {i} {op}: result {r.Result}, the model says {expected.Result}");
                Assert.Equal(r.Status == VmOpStatus.Failed ? "ENOMEM" : string.Empty, r.Errno);
                outcomes.Add(Normalise(op, r.Status, r.Result));
            }
            _hostOps += results.Count;
            _batches += (int)summary.Batches;
            _multiBatchCases += summary.Batches > 1 ? 1 : 0;
            _coalesced += plan.Ops.Count - results.Count;

            var final = plan.After.Count > 0 ? plan.After[^1] : new AddressSpaceModel();
            final.AssertMapsMatch(stub, $"batched, {s}");
            ShadowTests.AssertShadowMatches(stub, $"batched, {s}");
            final.AssertMemoryMatches(stub, WindowBase, WindowPages, pattern, $"batched, {s}");
            return outcomes;
        }
        finally
        {
            stub.Stop();
        }
    }

    /// <summary>(b): one op per flush (the single path), checked against the model after each.</summary>
    private List<Outcome> RunSingly(Scenario s, Plan plan, PhysicalPattern pattern)
    {
        var stub = StartWithPattern(pattern);
        try
        {
            var outcomes = new List<Outcome>();
            bool stopped = false;
            for (int i = 0; i < plan.Ops.Count; i++)
            {
                var op = plan.Ops[i];
                if (stopped)
                {
                    // The batched flush skipped the rest; so does this run.
                    outcomes.Add(new Outcome(VmOpStatus.Skipped, 0));
                    continue;
                }
                stub.Enqueue(op.Kind, op.Address, op.Length, op.Prot, op.Offset);
                var (results, _) = Flush(stub, s.ContinueOnError);
                _flushes++;
                var r = Assert.Single(results);
                Assert.Equal(VmFlushPath.Single, r.Path);
                var expected = plan.Expected[i];
                long result = op.Kind == VmOpKind.Mmap && r.Status == VmOpStatus.Succeeded ? Expect((long)op.Address, r.Result) : r.Result;
                Assert.True(r.Status == expected.Status && result == expected.Result, $"single op {i} {op}: {r} (result {r.Result}), the model says {expected}");
                stopped = r.Status == VmOpStatus.Failed && !s.ContinueOnError;
                outcomes.Add(Normalise(op, r.Status, r.Result));

                string context = $"single, after op {i} {op}, {s}";
                plan.After[i].AssertMapsMatch(stub, context);
                ShadowTests.AssertShadowMatches(stub, context);
                plan.After[i].AssertMemoryMatches(stub, WindowBase, WindowPages, pattern, context, allUnreadable: i == plan.Ops.Count - 1);
            }
            return outcomes;
        }
        finally
        {
            stub.Stop();
        }
    }

    /// <summary>A successful mmap returns the address it mapped; checks it and gives the model's view of it.</summary>
    private static long Expect(long address, long result)
    {
        Assert.Equal(address, result);
        return result;
    }

    private static Outcome Normalise(ResolvedOp op, VmOpStatus status, long result) =>
        new(status, op.Kind == VmOpKind.Mmap && status == VmOpStatus.Succeeded ? 0 : result);
}
