namespace UmlTlb.Tests;

/// <summary>Ops the engine refuses before they reach the queue, and the edges it accepts.</summary>
public abstract class ValidationTests : StubTestBase
{
    private const ulong PhysicalPages = 64;

    protected ValidationTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : ValidationTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : ValidationTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : ValidationTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : ValidationTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    public static TheoryData<VmOpRejectionReason> AllReasons => new(Enum.GetValues<VmOpRejectionReason>());

    /// <summary>
    /// An op refused for <paramref name="reason"/>; where it can, it would continue the op
    /// queued before it, so that merging before validating would show. Every reason must have a case.
    /// </summary>
    private (VmOpKind Kind, ulong Address, ulong Length, VmProtection Prot, ulong Offset) Refused(StubProcess stub, VmOpRejectionReason reason) => reason switch
    {
        VmOpRejectionReason.UnknownOperation => ((VmOpKind)0, At(1), Page, VmProtection.Read, Page),
        VmOpRejectionReason.AddressNotAligned => (VmOpKind.Mmap, At(1) + 0x800, Page, VmProtection.Read, Page),
        VmOpRejectionReason.OffsetNotAligned => (VmOpKind.Mmap, At(1), Page, VmProtection.Read, Page + 0x10),
        VmOpRejectionReason.LengthZero => (VmOpKind.Mmap, At(1), 0, VmProtection.Read, Page),
        VmOpRejectionReason.LengthNotAligned => (VmOpKind.Mmap, At(1), Page + 1, VmProtection.Read, Page),
        VmOpRejectionReason.RangeWraps => (VmOpKind.Munmap, 0xffff_ffff_ffff_f000UL, 2 * Page, VmProtection.None, 0),
        VmOpRejectionReason.RangeBeyondUserLimit => (VmOpKind.Munmap, stub.UserAddressLimit - Page, 2 * Page, VmProtection.None, 0),
        VmOpRejectionReason.BeyondPhysicalMemory => (VmOpKind.Mmap, At(1), 2 * Page, VmProtection.Read, stub.PhysicalMemorySize - Page),
        VmOpRejectionReason.UnknownProtection => (VmOpKind.Mmap, At(1), Page, (VmProtection)8, Page),
        VmOpRejectionReason.OffsetBeyondArchitecture => (VmOpKind.Mmap, At(1), Page, VmProtection.Read,
            Architecture == StubArchitecture.x86_64 ? 0x8000_0000_0000_0000UL : 0x1000_0000_0000UL),
        _ => throw new InvalidOperationException($"No test case for {reason}: add one."),
    };

    [SkippableTheory]
    [MemberData(nameof(AllReasons))]
    public void RefusedOpThrowsAndQueuesNothing(VmOpRejectionReason reason)
    {
        var stub = Start(physicalPages: PhysicalPages);
        var first = stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        var before = stub.GetPendingOperations().Single();
        var op = Refused(stub, reason);

        var e = Assert.Throws<VmOpRejectedException>(() => stub.Enqueue(op.Kind, op.Address, op.Length, op.Prot, op.Offset));

        Assert.Equal(reason, e.Rejection.Reason);
        Assert.False(string.IsNullOrWhiteSpace(e.Message));
        Assert.Equal(reason, stub.Validate(op.Kind, op.Address, op.Length, op.Prot, op.Offset)?.Reason);
        var after = Assert.Single(stub.GetPendingOperations());
        Assert.Equal((before.HostOp, before.Address, before.Length), (after.HostOp, after.Address, after.Length));
        Assert.Equal(0, stub.GetStatistics().CoalescedOperations);
        var vmOp = new VmOp { Operation = op.Kind, Address = op.Address, Length = op.Length, Protection = op.Prot, Offset = op.Offset };
        Assert.Throws<VmOpRejectedException>(() => stub.Enqueue(vmOp));
        Assert.Null(vmOp.Stub);

        // Only the accepted op runs.
        var (results, _) = Flush(stub);
        Assert.Equal(first.HostSequence, Assert.Single(results).Sequence);
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        model.AssertMapsMatch(stub, reason.ToString());
    }

    [SkippableFact]
    public void RangeStartingAtTheLimitIsRefused()
    {
        var stub = Start();
        var e = Assert.Throws<VmOpRejectedException>(() => stub.Enqueue(VmOpKind.Mprotect, stub.UserAddressLimit, Page, VmProtection.None, 0));
        Assert.Equal(VmOpRejectionReason.RangeBeyondUserLimit, e.Rejection.Reason);
        // The stub's own code page stays as it was.
        Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == stub.StubCodeAddress && m.Perms == "r-xp");
    }

    [SkippableFact]
    public void RangeEndingAtTheLimitAndOffsetEndingAtTheFileEndAreAccepted()
    {
        var stub = Start(physicalPages: PhysicalPages);
        ulong last = stub.UserAddressLimit - Page;
        ulong lastOffset = stub.PhysicalMemorySize - Page;
        var pattern = new PhysicalPattern(0x1234);
        pattern.WriteTo(stub, (int)PhysicalPages);

        stub.Enqueue(VmOpKind.Mmap, last, Page, VmProtection.Read, lastOffset);
        var (results, _) = Flush(stub);

        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(results).Status);
        Assert.Equal((long)last, results[0].Result);
        var model = new AddressSpaceModel();
        model.Apply(VmOpKind.Mmap, last, Page, VmProtection.Read, lastOffset);
        model.AssertMapsMatch(stub, "last page");
        model.AssertMemoryMatches(stub, last, 1, pattern, "last page");
    }

    [SkippableTheory]
    [InlineData(VmOpKind.Munmap)]
    [InlineData(VmOpKind.Mprotect)]
    public void OffsetMattersOnlyToMmap(VmOpKind kind)
    {
        var stub = Start(physicalPages: PhysicalPages);
        // An unaligned offset beyond the file is ignored where the op takes no offset.
        Assert.Null(stub.Validate(kind, At(0), Page, VmProtection.Read, stub.PhysicalMemorySize * 2 + 3));
        stub.Enqueue(kind, At(0), Page, VmProtection.Read, stub.PhysicalMemorySize * 2 + 3);
        Assert.Equal(1, stub.PendingOperations);
    }

    [SkippableFact]
    public void AnOffsetMmapCannotCarryIsRefusedNotCut()
    {
        // 32 TiB of sparse physical memory: i386's mmap2 counts the offset in 32-bit pages,
        // so 0x100000001000 would arrive as 0x1000 and map the wrong page while reporting success.
        var stub = Start(physicalPages: 0x2000_0000_0000UL / Page);
        const ulong offset = 0x1000_0000_1000UL;
        var rejection = stub.Validate(VmOpKind.Mmap, At(0), Page, VmProtection.Read, offset);
        if (Architecture == StubArchitecture.i386)
        {
            Assert.Equal(VmOpRejectionReason.OffsetBeyondArchitecture, rejection?.Reason);
            Assert.Throws<VmOpRejectedException>(() => stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, offset));
            Assert.Equal(0, stub.PendingOperations);
            // The largest offset mmap2 carries still maps exactly that page.
            const ulong largest = 0xffff_ffffUL << 12;
            stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, largest);
            Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(stub).Results).Status);
            Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(0) && m.Offset == largest);
        }
        else
        {
            Assert.Null(rejection);
            stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, offset);
            Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(stub).Results).Status);
            Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(0) && m.Offset == offset);
        }
    }
}
