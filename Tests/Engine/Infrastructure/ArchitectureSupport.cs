namespace UmlTlb.Tests.Infrastructure;

/// <summary>
/// Whether this kernel runs stubs of an architecture at all. Some kernels run no 32-bit
/// x86 programs (IA32 emulation off, or a hypervisor without 32-bit mode): there every
/// i386 test is reported as skipped with the reason, never as passed or failed.
/// </summary>
public static class ArchitectureSupport
{
    private static readonly Dictionary<StubArchitecture, string?> Reasons = new();

    /// <summary>Why stubs of <paramref name="architecture"/> cannot run here, or null when they can.</summary>
    public static string? WhyNot(StubArchitecture architecture)
    {
        lock (Reasons)
        {
            if (!Reasons.TryGetValue(architecture, out var reason))
            {
                reason = Probe(architecture);
                Reasons[architecture] = reason;
            }
            return reason;
        }
    }

    /// <summary>Skips the calling test when this kernel cannot run <paramref name="architecture"/> stubs.</summary>
    public static void SkipUnlessSupported(StubArchitecture architecture)
    {
        string? reason = WhyNot(architecture);
        Skip.If(reason is not null, reason);
    }

    private static string? Probe(StubArchitecture architecture)
    {
        try
        {
            StubProcess.Start(new StubStartOptions { Architecture = architecture, PhysicalMemorySize = 4096, Name = $"probe-{architecture}-{Guid.NewGuid():N}" }).Stop();
            return null;
        }
        catch (StubArchitectureNotSupportedException e)
        {
            return e.Message;
        }
    }
}
