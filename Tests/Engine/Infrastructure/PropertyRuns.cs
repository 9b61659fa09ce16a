using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;

namespace UmlTlb.Tests.Infrastructure;

/// <summary>
/// Reproducible FsCheck runs: a fixed seed per property and architecture (UMLTLB_PROPERTY_SEED
/// overrides it), a case count (UMLTLB_PROPERTY_CASES overrides it; UMLTLB_SOAK=1, from
/// build.ps1 Test -Soak, picks the soak count).
/// </summary>
public static class PropertyRuns
{
    public static (ulong Seed, Config Config) Configure(ulong defaultSeed, int cases, int soakCases)
    {
        ulong seed = ulong.Parse(Environment.GetEnvironmentVariable("UMLTLB_PROPERTY_SEED") ?? defaultSeed.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        string defaultCases = (Environment.GetEnvironmentVariable("UMLTLB_SOAK") == "1" ? soakCases : cases).ToString(CultureInfo.InvariantCulture);
        int count = int.Parse(Environment.GetEnvironmentVariable("UMLTLB_PROPERTY_CASES") ?? defaultCases, CultureInfo.InvariantCulture);
        var replay = new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), FSharpOption<int>.None);
        return (seed, Config.QuickThrowOnFailure.WithMaxTest(count).WithReplay(FSharpOption<Replay>.Some(replay)).WithQuietOnSuccess(true));
    }
}
