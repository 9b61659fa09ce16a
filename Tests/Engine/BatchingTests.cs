namespace UmlTlb.Tests;

/// <summary>
/// Batching seen from outside the engine: the stub's voluntary context switches
/// (/proc/pid/status) rise by one per wake-up. With Ptrace every round trip is one (the
/// stub stops at its int3); with Doorbell the stub sleeps on its futex after each round trip
/// unless its spin catches the next ring, so the test lets it fall asleep after each flush:
/// then, too, every flush costs exactly one wake-up.
/// </summary>
public abstract class BatchingTests : StubTestBase
{
    protected BatchingTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : BatchingTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : BatchingTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : BatchingTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : BatchingTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    [SkippableFact]
    public void SixtyFourOpsCostOneRoundTripBatchedAndSixtyFourSingly()
    {
        var stub = Start(batchPages: 1);
        Assert.True(stub.BatchCapacity >= 64, $"BatchCapacity {stub.BatchCapacity}");
        var model = new AddressSpaceModel();

        AwaitStubAsleep(stub);
        long before = ProcView.VoluntarySwitches(stub.ProcessId);
        for (int i = 0; i < 64; i++)
        {
            stub.Enqueue(VmOpKind.Mmap, At(2 * i), Page, VmProtection.Read, Pages(i));
            model.Apply(VmOpKind.Mmap, At(2 * i), Page, VmProtection.Read, Pages(i));
        }
        var (results, summary) = Flush(stub);
        AwaitStubAsleep(stub);
        long batched = ProcView.VoluntarySwitches(stub.ProcessId) - before;

        Assert.Equal(64, results.Count);
        Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
        Assert.Equal(1, summary.RoundTrips);
        model.AssertMapsMatch(stub, "batched");

        before = ProcView.VoluntarySwitches(stub.ProcessId);
        for (int i = 0; i < 64; i++)
        {
            stub.Enqueue(VmOpKind.Munmap, At(2 * i), Page, VmProtection.None, 0);
            var (single, _) = Flush(stub);
            AwaitStubAsleep(stub);
            Assert.Equal((VmFlushPath.Single, VmOpStatus.Succeeded), (single[0].Path, single[0].Status));
            model.Apply(VmOpKind.Munmap, At(2 * i), Page, VmProtection.None, 0);
        }
        long singly = ProcView.VoluntarySwitches(stub.ProcessId) - before;
        model.AssertMapsMatch(stub, "singly");

        Output.WriteLine($"voluntary context switches: batched {batched}, singly {singly}");
        Assert.InRange(batched, 1, 3);
        Assert.True(singly >= 60, $"64 single flushes cost only {singly} voluntary context switches");
    }

    /// <summary>A Doorbell stub may still spin after a round trip; its switch is counted once it sleeps.</summary>
    private void AwaitStubAsleep(StubProcess stub)
    {
        if (Transport == StubTransport.Doorbell)
        {
            Assert.True(ProcView.WaitUntil(() => ProcView.Wchan(stub.ProcessId).Contains("futex"), TimeSpan.FromSeconds(5)), "the stub did not go to sleep on its doorbell");
        }
    }
}
