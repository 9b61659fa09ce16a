using System.Diagnostics;
using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// Write-Progress for a flush that has run longer than <see cref="After"/>: ops run so far and
/// ops per second, at most five times a second. Silent where nobody watches: a console host
/// started -NonInteractive or writing to a file or pipe. $ProgressPreference applies as usual.
/// </summary>
internal sealed class FlushProgress
{
    /// <summary>How long a flush runs before it shows progress; tests set it to zero.</summary>
    internal static TimeSpan After = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private static readonly bool ConsoleUnwatched =
        Console.IsOutputRedirected
        || Environment.GetCommandLineArgs().Any(a => a.StartsWith("-noni", StringComparison.OrdinalIgnoreCase));

    private readonly long _start = Stopwatch.GetTimestamp();
    private TimeSpan _last;
    private ProgressRecord? _record;

    /// <summary>Shows the flushes' totals when it is time to.</summary>
    public void Update(Cmdlet cmdlet, IEnumerable<VmFlush> flushes)
    {
        var elapsed = Stopwatch.GetElapsedTime(_start);
        if (elapsed < After || (_record is not null && elapsed - _last < Interval) || Unwatched(cmdlet))
        {
            return;
        }
        _last = elapsed;
        long done = flushes.Sum(f => f.Summary.Operations);
        _record ??= new ProgressRecord(0x564d, "Invoke-VmFlush", "Running queued ops");
        _record.StatusDescription = $"{done} ops run, {done / Math.Max(elapsed.TotalSeconds, 1e-3):F0} ops/s";
        cmdlet.WriteProgress(_record);
    }

    /// <summary>Removes the progress bar once the flush is done.</summary>
    public void Complete(Cmdlet cmdlet)
    {
        if (_record is not null)
        {
            _record.RecordType = ProgressRecordType.Completed;
            cmdlet.WriteProgress(_record);
        }
    }

    private static bool Unwatched(Cmdlet cmdlet) =>
        ConsoleUnwatched && cmdlet is PSCmdlet ps && ps.Host.Name == "ConsoleHost";
}
