using System.Diagnostics;
using UmlTlb.Abi;

namespace UmlTlb.Tests;

/// <summary>Starting, stopping and losing stubs, checked in /proc.</summary>
public abstract class LifecycleTests : StubTestBase
{
    private static readonly TimeSpan NoticeDeadline = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ThreadExitDeadline = TimeSpan.FromSeconds(5);

    protected LifecycleTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : LifecycleTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : LifecycleTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : LifecycleTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : LifecycleTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    [SkippableFact]
    public void StartedStubRunsTracedByItsTracerThread()
    {
        var stub = Start();

        Assert.Equal(StubState.Running, stub.State);
        Assert.Equal(Architecture, stub.Architecture);
        var status = ProcView.Status(stub.ProcessId)!;
        Assert.Equal(stub.TracerThreadId.ToString(), status["TracerPid"]);
        Assert.NotEqual(Environment.ProcessId, stub.TracerThreadId);
        Assert.True(ProcView.ThreadOfThisProcess(stub.TracerThreadId), $"tracer tid {stub.TracerThreadId} is not in /proc/self/task");
        Assert.Contains(stub.ProcessId, ProcView.Children());
        if (Transport == StubTransport.Ptrace)
        {
            // Stopped at its trap, not running or sleeping.
            Assert.StartsWith("t", status["State"]);
        }
        else
        {
            // Out of any ptrace stop, asleep on its doorbell futex.
            Assert.True(ProcView.WaitUntil(() => ProcView.Status(stub.ProcessId)!["State"].StartsWith('S') && ProcView.Wchan(stub.ProcessId).Contains("futex"), NoticeDeadline),
                $"state {ProcView.Status(stub.ProcessId)!["State"]}, wchan {ProcView.Wchan(stub.ProcessId)}");
        }
    }

    [SkippableTheory]
    [InlineData(1)]
    [InlineData(5)]
    public void StartedStubHoldsOnlyItsCodeAndDataPages(int batchPages)
    {
        var stub = Start(batchPages);
        var maps = ProcView.Maps(stub.ProcessId);
        string all = string.Join("\n", maps);

        Assert.True(maps.All(m => m.Start >= stub.UserAddressLimit), $"mappings below UserAddressLimit 0x{stub.UserAddressLimit:x}:\n{all}");
        Assert.Empty(stub.GetMappings());
        Assert.Equal(stub.StubCodeAddress, stub.UserAddressLimit);
        Assert.Equal(stub.StubCodeAddress + Page, stub.StubDataAddress);

        var code = Assert.Single(maps, m => m.Start == stub.StubCodeAddress);
        Assert.Equal(stub.StubCodeAddress + Page, code.End);
        Assert.Equal("r-xp", code.Perms);
        Assert.Equal($"/memfd:umltlb-stub-{Architecture} (deleted)", code.Path);

        var data = Assert.Single(maps, m => m.Start == stub.StubDataAddress);
        Assert.Equal(stub.StubDataAddress + Pages(batchPages), data.End);
        Assert.Equal("rw-s", data.Perms);
        Assert.Equal($"/memfd:umltlb-data-{stub.Id} (deleted)", data.Path);

        var others = maps.Where(m => m != code && m != data).ToList();
        Assert.True(others.All(m => m.Path == "[vsyscall]"), $"unexpected mappings:\n{all}");
        Assert.True(others.Count <= 1, all);
    }

    [SkippableFact]
    public void StubHoldsExactlyTheDataAndPhysicalMemoryFiles()
    {
        var stub = Start();
        var fds = ProcView.Fds(stub.ProcessId);

        Assert.Equal(new[] { 3, 4 }, fds.Keys);
        Assert.Equal($"/memfd:umltlb-data-{stub.Id} (deleted)", fds[3]);
        Assert.Equal($"/memfd:umltlb-physmem-{stub.Id} (deleted)", fds[4]);
    }

    [SkippableFact]
    public void BatchStopsAtTheFirstFailingRawSyscallUnlessToldToContinue()
    {
        var stub = Start();
        // munmap(addr, 0) is EINVAL: a raw failure the validator cannot block. The mmaps
        // return their addresses, which the stub alone can have written.
        ulong[] MmapArgs(int page) => [At(page), Page, 1, 0x11, 4, 0];
        var tuples = new (long, ulong[])[] { (Abi.MmapNr, MmapArgs(1)), (Abi.MunmapNr, [At(0), 0]), (Abi.MmapNr, MmapArgs(3)) };

        var (stopped, stoppedCount) = stub.RunBatchSyscalls(false, tuples);
        Assert.Equal(2, stoppedCount);
        Assert.Equal(new long[] { (long)At(1), EINVAL, 0 }, stopped);
        Assert.DoesNotContain(ProcView.Maps(stub.ProcessId), m => m.Start == At(3));

        var (all, allCount) = stub.RunBatchSyscalls(true, tuples);
        Assert.Equal(3, allCount);
        Assert.Equal(new long[] { (long)At(1), EINVAL, (long)At(3) }, all);
        Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(3));
    }

    [SkippableFact]
    public void StopKillsReapsAndEndsTheTracerThread()
    {
        var stub = Start();
        int pid = stub.ProcessId, tid = stub.TracerThreadId;

        var termination = stub.Stop();

        Assert.Equal(StubState.Exited, stub.State);
        Assert.True(termination.Requested);
        Assert.Same(termination, stub.Termination);
        // A zombie keeps its /proc entry: gone means reaped.
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists after Stop");
        Assert.DoesNotContain(pid, ProcView.Children());
        Assert.True(ProcView.WaitUntil(() => !ProcView.ThreadOfThisProcess(tid), ThreadExitDeadline), $"tracer thread {tid} still runs");
        Assert.Null(StubRegistry.Get(stub.Id));
        Assert.Equal(-1, stub.GetStatistics().VoluntaryContextSwitches);
        var ours = ProcView.Fds(Environment.ProcessId).Values;
        Assert.DoesNotContain($"/memfd:umltlb-data-{stub.Id} (deleted)", ours);
        Assert.DoesNotContain($"/memfd:umltlb-physmem-{stub.Id} (deleted)", ours);
        // Stopping again changes nothing.
        Assert.Same(termination, stub.Stop());
        Assert.Throws<StubExitedException>(() => Ping(stub));
    }

    [SkippableFact]
    public void StubKilledFromOutsideIsNoticedReapedAndReported()
    {
        var stub = Start();
        int pid = stub.ProcessId, tid = stub.TracerThreadId;

        ProcView.Kill(pid, 9);

        Assert.True(ProcView.WaitUntil(() => stub.State == StubState.Faulted, NoticeDeadline), $"state is {stub.State} after SIGKILL");
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
        Assert.Equal(9, stub.Termination!.Signal);
        Assert.Equal("SIGKILL", stub.Termination.SignalName);
        Assert.False(stub.Termination.Requested);
        Assert.True(ProcView.WaitUntil(() => !ProcView.ThreadOfThisProcess(tid), ThreadExitDeadline), $"tracer thread {tid} still runs");

        // Nothing joins the queue of a dead stub: it could never run.
        var enqueueError = Assert.Throws<StubExitedException>(() => stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0));
        Assert.Contains("SIGKILL", enqueueError.Message);
        Assert.Equal(0, stub.PendingOperations);
        var flushError = Assert.Throws<StubExitedException>(() => stub.BeginFlush().Complete(null));
        Assert.Contains("SIGKILL", flushError.Message);
        var singleError = Assert.Throws<StubExitedException>(() => Ping(stub));
        Assert.Contains("SIGKILL", singleError.Message);
        Assert.Throws<StubExitedException>(() => stub.RunBatchSyscalls(false, (Abi.MunmapNr, [At(0), 0])));
        Assert.Throws<StubExitedException>(() => stub.GetMappings());
        Assert.Throws<StubExitedException>(() => stub.ReadMemory(At(0), 8));

        stub.Stop();
        Assert.Equal(StubState.Faulted, stub.State);
    }

    [SkippableFact]
    public void StubThatFaultsInARoundTripIsReapedAndReported()
    {
        var stub = Start();
        int pid = stub.ProcessId;
        long munmapNr = Architecture == StubArchitecture.x86_64 ? 11 : 91;

        // Unmapping its own code page makes the stub fault on its way back to int3.
        var e = Assert.Throws<StubExitedException>(() => stub.RunBatchSyscalls(false, (munmapNr, [stub.StubCodeAddress, Page])));

        Assert.Contains("SIGSEGV", e.Message);
        Assert.Equal(StubState.Faulted, stub.State);
        Assert.Equal("SIGSEGV", stub.Termination!.SignalName);
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
        Assert.Throws<StubExitedException>(() => Ping(stub));
    }

    [SkippableFact]
    public void JobControlStopFromOutsideIsSwallowed()
    {
        var stub = Start();

        ProcView.Kill(stub.ProcessId, 19); // SIGSTOP
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        var (results, _) = Flush(stub);

        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(results).Status);
        Assert.Equal(StubState.Running, stub.State);
        Assert.Equal(EINVAL, Ping(stub));
        Assert.Contains(ProcView.Maps(stub.ProcessId), m => m.Start == At(0));
    }

    [SkippableFact]
    public void FatalSignalFromOutsideEndsTheStubAtItsNextRoundTrip()
    {
        var stub = Start();
        int pid = stub.ProcessId;

        ProcView.Kill(pid, 15); // SIGTERM: pending while the stub sits in its ptrace stop
        // Under the doorbell the stub dies at once, and a dead stub's queue takes nothing.
        var e = Assert.Throws<StubExitedException>(() =>
        {
            stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
            stub.Enqueue(VmOpKind.Mmap, At(2), Page, VmProtection.Read, 0);
            Flush(stub);
        });

        Assert.Contains("SIGTERM", e.Message);
        Assert.Equal(StubState.Faulted, stub.State);
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
    }

    [SkippableFact]
    public void StubKilledWhileAFlushWaitsForItEndsTheFlushWithTheSignalNamed()
    {
        var stub = Start();
        int pid = stub.ProcessId;
        // A tuple that blocks the stub: FUTEX_WAIT on its own doorbell word with the value that word will hold
        // while this request runs (unchanged with Ptrace; the request's number with Doorbell).
        long futexNr = Architecture == StubArchitecture.x86_64 ? 202 : 240;
        ulong doorbell = stub.StubDataAddress + (ulong)(StubDataLayout.Doorbell * stub.Abi.WordSize);
        ulong value = (stub.Data[StubDataLayout.Doorbell] & 0xfffffffe) + (Transport == StubTransport.Doorbell ? 2UL : 0);
        Exception? flushError = null;
        var flusher = new Thread(() =>
        {
            try
            {
                stub.RunBatchSyscalls(false, (futexNr, [doorbell, 0 /* FUTEX_WAIT */, value]));
            }
            catch (Exception e)
            {
                flushError = e;
            }
        });
        flusher.Start();
        Assert.True(ProcView.WaitUntil(() => ProcView.Wchan(pid).Contains("futex") && stub.Data[StubDataLayout.Executed] == 0 && flusher.IsAlive, NoticeDeadline),
            $"the stub did not block in its tuple (wchan {ProcView.Wchan(pid)})");
        Thread.Sleep(50);
        Assert.True(flusher.IsAlive, $"the flush ended while the stub was blocked: {flushError}");

        ProcView.Kill(pid, 9);

        Assert.True(flusher.Join(TimeSpan.FromSeconds(5)), "the flush still waits for a stub that is gone");
        var e = Assert.IsType<StubExitedException>(flushError);
        Assert.Contains("SIGKILL", e.Message);
        Assert.Equal(StubState.Faulted, stub.State);
        Assert.False(ProcView.ProcessExists(pid), $"/proc/{pid} still exists: not reaped");
    }

    [SkippableTheory]
    [InlineData(StubAffinity.Colocated)]
    [InlineData(StubAffinity.Any)]
    public void AffinityDecidesWhereStubAndTracerMayRun(StubAffinity affinity)
    {
        var stub = Start(affinity: affinity);
        string stubCpus = ProcView.Status(stub.ProcessId)!["Cpus_allowed_list"];
        string tracerCpus = File.ReadAllLines($"/proc/self/task/{stub.TracerThreadId}/status")
            .Single(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal)).Split(':')[1].Trim();

        if (affinity == StubAffinity.Colocated)
        {
            Assert.NotNull(stub.Cpu);
            Assert.Equal(stub.Cpu.ToString(), stubCpus);
            Assert.Equal(stubCpus, tracerCpus);
        }
        else
        {
            Assert.Null(stub.Cpu);
            Assert.Equal(ProcView.Status(Environment.ProcessId)!["Cpus_allowed_list"], stubCpus);
        }
    }

    [SkippableFact]
    public void AnArchitectureThisKernelCannotRunIsRefusedWithTheReason()
    {
        string? reason = ArchitectureSupport.WhyNot(Architecture);
        Skip.If(reason is null, $"this kernel runs {Architecture} stubs");

        var e = Assert.Throws<StubArchitectureNotSupportedException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport }));

        Assert.Equal(Architecture, e.Architecture);
        Assert.Contains("ENOEXEC", e.Message);
        Assert.DoesNotContain(StubRegistry.All, s => s.Architecture == Architecture);
    }

    [SkippableFact]
    public void InvalidStartOptionsAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, BatchPages = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, BatchPages = 257 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, PhysicalMemorySize = Page + 1 }));
        Assert.Throws<FileNotFoundException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, StubDirectory = "/nonexistent-umltlb" }));
        var transport = Assert.Throws<ArgumentOutOfRangeException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = (StubTransport)7 }));
        Assert.Contains("Transport", transport.Message);
    }

    [SkippableFact]
    public void StubProgramThatExitsAtOnceFailsStartAndLeavesNothing() =>
        WithFakeStubProgram("exit 13", dir =>
        {
            int memfdsBefore = ProcView.Fds(Environment.ProcessId).Values.Count(t => t.StartsWith("/memfd:umltlb-", StringComparison.Ordinal));

            var e = Assert.Throws<StubExitedException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, StubDirectory = dir }));

            Assert.Contains("13", e.Message);
            Assert.Contains("parent was gone", e.Message);
            Assert.Equal(memfdsBefore, ProcView.Fds(Environment.ProcessId).Values.Count(t => t.StartsWith("/memfd:umltlb-", StringComparison.Ordinal)));
        });

    [SkippableFact]
    public void StubProgramThatNeverStopsFailsStartWithinItsDeadlineAndLeavesNothing() =>
        WithFakeStubProgram("exec sleep 60", dir =>
        {
            var e = Assert.Throws<TimeoutException>(() => StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, StubDirectory = dir }));

            Assert.Contains("did not stop itself", e.Message);
        });

    /// <summary>Runs <paramref name="test"/> with a shell script in place of the stub; no child may be left after it.</summary>
    private void WithFakeStubProgram(string script, Action<string> test)
    {
        string dir = Directory.CreateTempSubdirectory("umltlb-tests-").FullName;
        try
        {
            string fake = Path.Combine(dir, "umltlb-stub-" + Architecture);
            File.WriteAllText(fake, "#!/bin/sh\n" + script + "\n");
            File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserExecute);
            var childrenBefore = ProcView.Children();
            test(dir);
            Assert.True(ProcView.Children().IsSubsetOf(childrenBefore));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [SkippableFact]
    public void FiftyStubsLeaveNoChildProcessOrThread()
    {
        SkipUnlessSupported();
        var childrenBefore = ProcView.Children();
        var stubs = new List<StubProcess>();
        try
        {
            for (int i = 0; i < 50; i++)
            {
                stubs.Add(StubProcess.Start(new StubStartOptions { Architecture = Architecture, Transport = Transport, PhysicalMemorySize = 16 * Page }));
            }
            Assert.Equal(50, stubs.Select(s => s.ProcessId).Distinct().Count());
            Assert.Subset(ProcView.Children(), stubs.Select(s => s.ProcessId).ToHashSet());
            Assert.All(stubs, s => Assert.Equal(EINVAL, Ping(s)));
        }
        finally
        {
            foreach (var s in stubs)
            {
                s.Stop();
            }
        }

        Assert.All(stubs, s => Assert.Equal(StubState.Exited, s.State));
        var childrenAfter = ProcView.Children();
        Assert.True(childrenAfter.IsSubsetOf(childrenBefore), $"new children: {string.Join(",", childrenAfter.Except(childrenBefore))}");
        Assert.All(stubs, s => Assert.False(ProcView.ProcessExists(s.ProcessId), $"/proc/{s.ProcessId} remains"));
        var tids = stubs.Select(s => s.TracerThreadId).ToHashSet();
        Assert.True(ProcView.WaitUntil(() => !ProcView.Tasks().Overlaps(tids), ThreadExitDeadline),
            $"tracer threads remain: {string.Join(",", ProcView.Tasks().Intersect(tids))}");
    }

    [SkippableFact]
    public void FlushesStayCorrectWhileThisProcessStartsAndReapsOtherChildren()
    {
        var stub = Start();
        Exception? spawnerError = null;
        int spawned = 0;
        var spawner = new Thread(() =>
        {
            try
            {
                for (int i = 0; i < 200; i++)
                {
                    using var p = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
                    p.WaitForExit();
                    Assert.Equal(0, p.ExitCode);
                    spawned++;
                }
            }
            catch (Exception e)
            {
                spawnerError = e;
            }
        });
        spawner.Start();

        var model = new AddressSpaceModel();
        int flushes = 0;
        while (spawner.IsAlive || flushes < 100)
        {
            // A batch of non-contiguous ops, then a single-path op, each checked against /proc.
            int page = flushes % 16 * 2;
            var ops = new (VmOpKind Kind, ulong Address, ulong Length, VmProtection Prot, ulong Offset)[]
            {
                (VmOpKind.Mmap, At(page), Page, VmProtection.Read, Pages(page)),
                (VmOpKind.Mmap, At(page + 40), Page, VmProtection.Read | VmProtection.Write, Pages(page + 1)),
                (VmOpKind.Mprotect, At(page), Page, VmProtection.None, 0),
                (VmOpKind.Munmap, At(page + 40), Page, VmProtection.None, 0),
                (VmOpKind.Mmap, At(page + 41), Page, VmProtection.Read, Pages(3)),
            };
            foreach (var op in ops)
            {
                stub.Enqueue(op.Kind, op.Address, op.Length, op.Prot, op.Offset);
                model.Apply(op.Kind, op.Address, op.Length, op.Prot, op.Offset);
            }
            var (results, summary) = Flush(stub);
            Assert.Equal(5, results.Count);
            Assert.All(results, r => Assert.Equal(VmOpStatus.Succeeded, r.Status));
            Assert.Equal(1, summary.Batches);

            stub.Enqueue(VmOpKind.Munmap, At(page), Page, VmProtection.None, 0);
            model.Apply(VmOpKind.Munmap, At(page), Page, VmProtection.None, 0);
            var (single, _) = Flush(stub);
            Assert.Equal(VmOpStatus.Succeeded, Assert.Single(single).Status);
            Assert.Equal(VmFlushPath.Single, single[0].Path);

            model.AssertMapsMatch(stub, $"flush {flushes}");
            flushes++;
        }
        spawner.Join();

        Assert.Null(spawnerError);
        Assert.Equal(200, spawned);
        Assert.Equal(StubState.Running, stub.State);
        Assert.Equal(EINVAL, Ping(stub));
        Output.WriteLine($"{flushes} flush pairs while 200 children came and went");
    }
}
