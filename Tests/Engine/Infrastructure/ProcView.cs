using System.Globalization;
using System.Runtime.InteropServices;

namespace UmlTlb.Tests.Infrastructure;

/// <summary>One line of /proc/pid/maps, parsed here rather than by the engine so that the tests check it from outside.</summary>
public readonly record struct MapLine(ulong Start, ulong End, string Perms, ulong Offset, string Path)
{
    public override string ToString() => $"{Start:x}-{End:x} {Perms} {Offset:x8} {Path}";
}

/// <summary>What /proc says about processes and threads, read independently of the engine.</summary>
public static partial class ProcView
{
    public static int Self => Environment.ProcessId;

    public static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");

    public static bool ThreadOfThisProcess(int tid) => Directory.Exists($"/proc/self/task/{tid}");

    public static IReadOnlyList<MapLine> Maps(int pid)
    {
        var list = new List<MapLine>();
        foreach (var line in File.ReadAllLines($"/proc/{pid}/maps"))
        {
            // start-end perms offset dev inode [path]
            var f = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var range = f[0].Split('-');
            list.Add(new MapLine(
                ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                f[1],
                ulong.Parse(f[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                f.Length > 5 ? f[5].Trim() : string.Empty));
        }
        return list;
    }

    /// <summary>The fields of /proc/pid/status, or null when the process is gone.</summary>
    public static Dictionary<string, string>? Status(int pid)
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
        var fields = new Dictionary<string, string>();
        foreach (var line in lines)
        {
            int colon = line.IndexOf(':');
            if (colon > 0)
            {
                fields[line[..colon]] = line[(colon + 1)..].Trim();
            }
        }
        return fields;
    }

    public static long StatusNumber(int pid, string key) =>
        long.Parse((Status(pid) ?? throw new InvalidOperationException($"/proc/{pid} is gone"))[key], CultureInfo.InvariantCulture);

    public static long VoluntarySwitches(int pid) => StatusNumber(pid, "voluntary_ctxt_switches");

    /// <summary>The kernel function a sleeping task waits in (/proc/pid/wchan), or "" when it runs or is gone.</summary>
    public static string Wchan(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/wchan");
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>
    /// CPU time the kernel charged to a task so far (utime + stime of /proc/pid/stat, or of
    /// /proc/self/task/tid/stat for a thread of this process), in clock ticks.
    /// </summary>
    public static long CpuTicks(string statPath)
    {
        string stat = File.ReadAllText(statPath);
        // Fields after the command name, which may hold spaces, in parentheses.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }

    /// <summary>fd number → link target of /proc/pid/fd.</summary>
    public static SortedDictionary<int, string> Fds(int pid)
    {
        var fds = new SortedDictionary<int, string>();
        foreach (var path in Directory.GetFileSystemEntries($"/proc/{pid}/fd"))
        {
            string? target;
            try
            {
                target = new FileInfo(path).LinkTarget;
            }
            catch (IOException)
            {
                continue; // closed while we looked (our own /proc/self/fd listing fd, for one)
            }
            fds[int.Parse(Path.GetFileName(path), CultureInfo.InvariantCulture)] = target ?? string.Empty;
        }
        return fds;
    }

    /// <summary>Thread ids of this process.</summary>
    public static HashSet<int> Tasks() =>
        Directory.GetDirectories("/proc/self/task").Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture)).ToHashSet();

    /// <summary>Pids of every process whose parent is this process (zombies included), from /proc/*/stat.</summary>
    public static HashSet<int> Children()
    {
        var children = new HashSet<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
            {
                continue;
            }
            string stat;
            try
            {
                stat = File.ReadAllText($"{dir}/stat");
            }
            catch (IOException)
            {
                continue;
            }
            // pid (comm) state ppid ...: comm may hold spaces and parentheses.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (int.Parse(rest[1], CultureInfo.InvariantCulture) == Self)
            {
                children.Add(pid);
            }
        }
        return children;
    }

    /// <summary>Polls <paramref name="condition"/> until it holds or <paramref name="deadline"/> passes.</summary>
    public static bool WaitUntil(Func<bool> condition, TimeSpan deadline)
    {
        var end = DateTime.UtcNow + deadline;
        while (!condition())
        {
            if (DateTime.UtcNow > end)
            {
                return condition();
            }
            Thread.Sleep(2);
        }
        return true;
    }

    /// <summary>The seals of a file (F_GET_SEALS), opened here by path, independently of the engine's fds.</summary>
    public static int Seals(string path)
    {
        const int F_GET_SEALS = 1034;
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        int seals = fcntl((int)file.DangerousGetHandle(), F_GET_SEALS);
        if (seals < 0)
        {
            throw new InvalidOperationException($"F_GET_SEALS on {path} failed: errno {Marshal.GetLastPInvokeError()}");
        }
        return seals;
    }

    public static void Kill(int pid, int signal)
    {
        if (kill(pid, signal) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int signal);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fcntl(int fd, int cmd);
}
