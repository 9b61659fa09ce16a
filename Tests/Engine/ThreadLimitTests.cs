namespace UmlTlb.Tests;

/// <summary>
/// Starting a stub when Linux refuses its tracer thread. The limit is real and enforced by
/// the kernel (a pids cgroup that holds only the test's own thread, see ThreadPidsLimit),
/// so nothing else in this process or on the machine is limited.
/// </summary>
public abstract class ThreadLimitTests : StubTestBase
{
    protected ThreadLimitTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture, StubTransport transport = StubTransport.Ptrace)
        : base(fixture, output, architecture, transport)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : ThreadLimitTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : ThreadLimitTests(fixture, output, StubArchitecture.i386);

    public sealed class X64Doorbell(StubFixture fixture, ITestOutputHelper output) : ThreadLimitTests(fixture, output, StubArchitecture.x86_64, StubTransport.Doorbell);

    public sealed class I386Doorbell(StubFixture fixture, ITestOutputHelper output) : ThreadLimitTests(fixture, output, StubArchitecture.i386, StubTransport.Doorbell);

    [SkippableFact]
    public void ThreadLimitIsReportedWithItsCauseAndLeavesNothingBehind()
    {
        SkipUnlessSupported();
        string? why = ThreadPidsLimit.WhyNot();
        Skip.If(why is not null, why);
        var options = new StubStartOptions { Architecture = Architecture, Transport = Transport, Name = "thread-limited", PhysicalMemorySize = 16 * Page };
        // The stub program's memfd is made once per process: make it before counting fds.
        Start().Stop();
        var fdsBefore = OurFds();
        var childrenBefore = ProcView.Children();
        var threadsBefore = ProcView.Tasks().Count;

        var errors = new List<Exception>();
        using (ThreadPidsLimit.ForThisThread())
        {
            for (int i = 0; i < 3; i++)
            {
                errors.Add(Record.Exception(() => StubProcess.Start(options))!);
            }
        }

        Assert.All(errors, e =>
        {
            var limit = Assert.IsType<ThreadLimitException>(e);
            Assert.Contains("EAGAIN", limit.Message);
            Assert.Contains("allows 1 tasks", limit.Message);
            Assert.Equal(11, limit.Errno);
            Assert.IsType<OutOfMemoryException>(limit.InnerException);
        });
        Output.WriteLine(errors[0].Message);
        // Nothing kept: no eventfd, memfd or other fd, no child, no thread, and the name is free again.
        Assert.Equal(fdsBefore, OurFds());
        Assert.True(ProcView.Children().IsSubsetOf(childrenBefore));
        Assert.True(ProcView.WaitUntil(() => ProcView.Tasks().Count <= threadsBefore, TimeSpan.FromSeconds(5)),
            $"{ProcView.Tasks().Count} threads, {threadsBefore} before");
        var stub = StubProcess.Start(options);
        try
        {
            Assert.Equal("thread-limited", stub.Name);
            Assert.Equal(EINVAL, Ping(stub));
        }
        finally
        {
            stub.Stop();
        }
    }

    /// <summary>This process's fds by what they are (eventfd, memfd:…, …), counted.</summary>
    private static Dictionary<string, int> OurFds() =>
        ProcView.Fds(Environment.ProcessId).Values.Where(t => !t.StartsWith("/proc/", StringComparison.Ordinal))
            .GroupBy(t => t.StartsWith("/memfd:umltlb-data-", StringComparison.Ordinal) || t.StartsWith("/memfd:umltlb-physmem-", StringComparison.Ordinal) ? "stub memfds" : t)
            .ToDictionary(g => g.Key, g => g.Count());
}
