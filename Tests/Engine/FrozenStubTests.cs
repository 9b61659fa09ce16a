namespace UmlTlb.Tests;

/// <summary>
/// A stub that cannot run: in a frozen cgroup even SIGKILL waits for the thaw (cgroup v1 freezer;
/// v2 kills frozen tasks). Stop must return within its bound, say the stub is not reaped yet, and
/// reap it once it can; a flush stuck in a round trip with it must not hold Stop up. Skipped where
/// no freezer cgroup can be made.
/// </summary>
public abstract class FrozenStubTests : StubTestBase
{
    protected FrozenStubTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture)
        : base(fixture, output, architecture)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : FrozenStubTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : FrozenStubTests(fixture, output, StubArchitecture.i386);

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void StopOfAFrozenStubReturnsSaysNotReapedAndReapsItAfterTheThaw(bool flushInProgress)
    {
        using var freezer = Freezer.TryCreate($"umltlb-test-{Environment.ProcessId}-{flushInProgress}");
        Skip.If(freezer is null, "no writable cgroup freezer (/sys/fs/cgroup/freezer or cgroup v2)");
        var stub = Start();
        int pid = stub.ProcessId;
        stub.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        stub.Enqueue(VmOpKind.Mmap, At(2), Page, VmProtection.Read, 0);
        freezer!.Freeze(pid);

        Exception? flushError = null;
        Thread? flusher = null;
        if (flushInProgress)
        {
            // A flush that resumes the frozen stub waits for its trap, holding the stub's locks.
            flusher = new Thread(() => flushError = Record(() => Flush(stub)));
            flusher.Start();
            Assert.False(flusher.Join(TimeSpan.FromMilliseconds(500)), "the flush finished although the stub is frozen");
        }

        var stopper = new Thread(() => stub.Stop());
        stopper.Start();
        Assert.True(stopper.Join(StubProcess.StopTimeout * 4), "Stop did not return while the stub is frozen");

        bool reapable = freezer.KillWaitsForThaw;
        if (reapable)
        {
            Assert.Equal(StubState.Stopping, stub.State);
            Assert.Contains("not reaped yet", stub.Termination!.Description);
            Assert.True(ProcView.ProcessExists(pid), "the frozen stub is gone before the thaw");
            Assert.Throws<StubExitedException>(() => stub.Enqueue(VmOpKind.Munmap, At(0), Page, VmProtection.None, 0));
            Assert.DoesNotContain(stub, StubRegistry.All);
        }

        freezer.Thaw();
        Assert.True(ProcView.WaitUntil(() => stub.State == StubState.Exited, TimeSpan.FromSeconds(30)), $"state {stub.State} after the thaw");
        Assert.True(ProcView.WaitUntil(() => !ProcView.ProcessExists(pid), TimeSpan.FromSeconds(10)), $"/proc/{pid} remains: not reaped");
        Assert.True(stub.Termination!.Requested);
        if (flusher is not null)
        {
            Assert.True(flusher.Join(TimeSpan.FromSeconds(30)), "the stuck flush never ended");
            Assert.IsType<StubExitedException>(flushError);
        }
        Assert.True(ProcView.WaitUntil(() => stub.PendingOperations == 0, TimeSpan.FromSeconds(10)), "the queue of the stopped stub was not discarded");
        // A new stub works afterwards.
        var next = Start();
        next.Enqueue(VmOpKind.Mmap, At(0), Page, VmProtection.Read, 0);
        Assert.Equal(VmOpStatus.Succeeded, Assert.Single(Flush(next).Results).Status);
    }

    private static Exception? Record(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>A cgroup of its own with a freezer, removed again on Dispose.</summary>
    private sealed class Freezer : IDisposable
    {
        private readonly string _dir;
        private readonly bool _v1;

        private Freezer(string dir, bool v1)
        {
            _dir = dir;
            _v1 = v1;
        }

        /// <summary>v1's freezer holds a SIGKILL until the thaw; v2 lets a frozen task die.</summary>
        public bool KillWaitsForThaw => _v1;

        public static Freezer? TryCreate(string name)
        {
            foreach (var (root, v1) in new[] { ("/sys/fs/cgroup/freezer", true), ("/sys/fs/cgroup/unified", false), ("/sys/fs/cgroup", false) })
            {
                string control = Path.Combine(root, v1 ? "freezer.state" : "cgroup.freeze");
                string dir = Path.Combine(root, name);
                try
                {
                    if (!Directory.Exists(root) || !v1 && !File.Exists(Path.Combine(root, "cgroup.controllers")))
                    {
                        continue;
                    }
                    Directory.CreateDirectory(dir);
                    if (File.Exists(Path.Combine(dir, v1 ? "freezer.state" : "cgroup.freeze")))
                    {
                        return new Freezer(dir, v1);
                    }
                    Directory.Delete(dir);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Not this one.
                }
            }
            return null;
        }

        public void Freeze(int pid)
        {
            File.WriteAllText(Path.Combine(_dir, "cgroup.procs"), pid.ToString(System.Globalization.CultureInfo.InvariantCulture));
            if (_v1)
            {
                File.WriteAllText(Path.Combine(_dir, "freezer.state"), "FROZEN");
                Assert.True(ProcView.WaitUntil(() => File.ReadAllText(Path.Combine(_dir, "freezer.state")).Trim() == "FROZEN", TimeSpan.FromSeconds(10)), "the cgroup did not freeze");
            }
            else
            {
                File.WriteAllText(Path.Combine(_dir, "cgroup.freeze"), "1");
                Assert.True(ProcView.WaitUntil(() => File.ReadAllText(Path.Combine(_dir, "cgroup.events")).Contains("frozen 1"), TimeSpan.FromSeconds(10)), "the cgroup did not freeze");
            }
        }

        public void Thaw() => File.WriteAllText(Path.Combine(_dir, _v1 ? "freezer.state" : "cgroup.freeze"), _v1 ? "THAWED" : "0");

        public void Dispose()
        {
            try
            {
                Thaw();
                ProcView.WaitUntil(() => File.ReadAllText(Path.Combine(_dir, "cgroup.procs")).Trim().Length == 0, TimeSpan.FromSeconds(10));
                Directory.Delete(_dir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Best effort: an empty cgroup left behind harms nothing.
            }
        }
    }
}
