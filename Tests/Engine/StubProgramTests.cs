using System.Diagnostics;
using System.Globalization;

namespace UmlTlb.Tests;

/// <summary>
/// The stub program: carried inside UmlTlb.Engine.dll, run from one sealed memfd per
/// architecture, and still easy to find for an admin. Checked in /proc.
/// </summary>
public abstract class StubProgramTests : StubTestBase
{
    private const int F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
    private const int O_CLOEXEC = 0x80000;

    protected StubProgramTests(StubFixture fixture, ITestOutputHelper output, StubArchitecture architecture)
        : base(fixture, output, architecture)
    {
    }

    public sealed class X64(StubFixture fixture, ITestOutputHelper output) : StubProgramTests(fixture, output, StubArchitecture.x86_64);

    public sealed class I386(StubFixture fixture, ITestOutputHelper output) : StubProgramTests(fixture, output, StubArchitecture.i386);

    private string MemfdName => $"/memfd:umltlb-stub-{Architecture} (deleted)";

    [SkippableFact]
    public void StubsRunFromOneSealedMemfdThatTheyDoNotInherit()
    {
        var stubs = new[] { Start(), Start() };

        foreach (var stub in stubs)
        {
            string exe = $"/proc/{stub.ProcessId}/exe";
            Assert.Equal(MemfdName, new FileInfo(exe).LinkTarget);
            // Opened here, from the stub's side: no write, no resize, no new seals.
            const int all = F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
            Assert.Equal(all, ProcView.Seals(exe) & all);
            Assert.Equal(new[] { 3, 4 }, ProcView.Fds(stub.ProcessId).Keys);
        }
        // This process keeps one memfd per architecture, close-on-exec and clear of fds 3 and 4.
        var ours = ProcView.Fds(Environment.ProcessId).Where(f => f.Value == MemfdName).Select(f => f.Key).ToList();
        int fd = Assert.Single(ours);
        Assert.True(fd >= 5, $"the stub memfd is fd {fd}");
        string flags = File.ReadAllLines($"/proc/self/fdinfo/{fd}").Single(l => l.StartsWith("flags:", StringComparison.Ordinal)).Split(':')[1].Trim();
        Assert.NotEqual(0, Convert.ToInt32(flags, 8) & O_CLOEXEC);
    }

    [SkippableFact]
    public void StubStartsWithAnEmptyEnvironmentInAProcessGroupOfItsOwn()
    {
        var stub = Start();

        Assert.Empty(File.ReadAllBytes($"/proc/{stub.ProcessId}/environ"));
        // /proc/<pid>/stat: pid (comm) state ppid pgrp ...; comm may hold spaces.
        string stat = File.ReadAllText($"/proc/{stub.ProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        Assert.Equal(stub.ProcessId.ToString(CultureInfo.InvariantCulture), fields[2]);
    }

    [SkippableFact]
    public void PgrepFindsTheStubByName()
    {
        var stub = Start();

        var info = new ProcessStartInfo("pgrep") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-x", "-P", Environment.ProcessId.ToString(CultureInfo.InvariantCulture), "umltlb-stub" })
        {
            info.ArgumentList.Add(a);
        }
        using var pgrep = Process.Start(info)!;
        string output = pgrep.StandardOutput.ReadToEnd();
        Assert.True(pgrep.WaitForExit(10_000), "pgrep did not end within 10 s");

        Assert.Equal(0, pgrep.ExitCode);
        Assert.Contains(stub.ProcessId.ToString(CultureInfo.InvariantCulture), output.Split('\n', StringSplitOptions.TrimEntries));
    }

    [SkippableFact]
    public void TheEngineShipsNoStubFile()
    {
        var stub = Start();

        string engineDirectory = Path.GetDirectoryName(typeof(StubProcess).Assembly.Location)!;
        Assert.False(Directory.Exists(Path.Combine(engineDirectory, "stubs")), $"{engineDirectory}/stubs exists");
        Assert.Contains($"umltlb-stub-{Architecture}", typeof(StubProcess).Assembly.GetManifestResourceNames());
        Assert.Equal(StubState.Running, stub.State);
    }
}
