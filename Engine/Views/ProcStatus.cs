namespace UmlTlb.Views;

/// <summary>The fields of /proc/pid/status that tell whether a stub is traced and how often it ran.</summary>
public sealed class ProcStatus
{
    public required string State { get; init; }

    public int TracerPid { get; init; }

    public long VoluntaryContextSwitches { get; init; }

    public long NonvoluntaryContextSwitches { get; init; }

    public int Threads { get; init; }

    /// <summary>Null when the process is gone.</summary>
    public static ProcStatus? TryRead(int pid)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines($"/proc/{pid}/status");
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
        var fields = new Dictionary<string, string>();
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }
        long Number(string key) => fields.TryGetValue(key, out var v) && long.TryParse(v, out long n) ? n : 0;
        return new ProcStatus
        {
            State = fields.GetValueOrDefault("State", string.Empty),
            TracerPid = (int)Number("TracerPid"),
            VoluntaryContextSwitches = Number("voluntary_ctxt_switches"),
            NonvoluntaryContextSwitches = Number("nonvoluntary_ctxt_switches"),
            Threads = (int)Number("Threads"),
        };
    }
}
