namespace UmlTlb.Tracing;

/// <summary>
/// The limits that make Linux refuse a new thread with EAGAIN, as /proc shows them for the
/// calling thread: its process's thread count, RLIMIT_NPROC (per user, not enforced for root),
/// kernel.threads-max, and the pids cgroup the thread belongs to (cgroup v1 or v2).
/// </summary>
internal static class ThreadLimits
{
    public static string Describe()
    {
        var parts = new List<string>();
        if (StatusValue("/proc/self/status", "Threads") is { } threads)
        {
            parts.Add($"this process has {threads} threads");
        }
        if (ProcessLimit() is { } nproc)
        {
            parts.Add($"RLIMIT_NPROC (threads of all processes of this user) is {nproc}");
        }
        if (Read("/proc/sys/kernel/threads-max") is { } threadsMax)
        {
            parts.Add($"kernel.threads-max is {threadsMax}");
        }
        if (PidsCgroup() is { } cgroup && Read(Path.Combine(cgroup, "pids.max")) is { } max)
        {
            parts.Add($"the pids cgroup {cgroup} allows {max} tasks and holds {Read(Path.Combine(cgroup, "pids.current")) ?? "?"}");
        }
        string text = parts.Count == 0 ? "/proc shows no limit" : string.Join("; ", parts);
        return char.ToUpperInvariant(text[0]) + text[1..];
    }

    /// <summary>The soft "Max processes" of /proc/self/limits.</summary>
    private static string? ProcessLimit()
    {
        var line = ReadLines("/proc/self/limits")?.FirstOrDefault(l => l.StartsWith("Max processes", StringComparison.Ordinal));
        var fields = line?["Max processes".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is { Length: > 0 } ? fields[0] : null;
    }

    /// <summary>The calling thread's pids cgroup directory, from /proc/thread-self/cgroup.</summary>
    private static string? PidsCgroup()
    {
        foreach (var line in ReadLines("/proc/thread-self/cgroup") ?? [])
        {
            // hierarchy-id:controllers:path; cgroup v2 is "0::path".
            var f = line.Split(':', 3);
            if (f.Length != 3)
            {
                continue;
            }
            string? root = f[1].Split(',').Contains("pids") ? "/sys/fs/cgroup/pids"
                : f[0] == "0" && f[1].Length == 0 ? (Directory.Exists("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup")
                : null;
            if (root is not null && File.Exists(Path.Combine(root + f[2], "pids.max")))
            {
                return (root + f[2]).TrimEnd('/');
            }
        }
        return null;
    }

    private static string? StatusValue(string path, string key) =>
        ReadLines(path)?.FirstOrDefault(l => l.StartsWith(key + ":", StringComparison.Ordinal))?[(key.Length + 1)..].Trim();

    private static string? Read(string path)
    {
        try
        {
            return File.ReadAllText(path).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string[]? ReadLines(string path)
    {
        try
        {
            return File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
