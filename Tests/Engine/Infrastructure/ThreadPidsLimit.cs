namespace UmlTlb.Tests.Infrastructure;

/// <summary>
/// A real thread limit for the calling thread only: a cgroup v1 pids group whose pids.max
/// is 1, holding just this thread. The kernel then refuses (EAGAIN) every thread or process
/// this thread creates, while the rest of the process goes on unlimited. Dispose puts the
/// thread back where it was and removes the group.
/// </summary>
public sealed class ThreadPidsLimit : IDisposable
{
    private const string Hierarchy = "/sys/fs/cgroup/pids";

    private readonly string _group;
    private readonly string _home;
    private readonly int _tid;

    private ThreadPidsLimit(string group, string home, int tid)
    {
        _group = group;
        _home = home;
        _tid = tid;
    }

    /// <summary>Why this machine cannot limit one thread (no writable cgroup v1 pids hierarchy), or null.</summary>
    public static string? WhyNot()
    {
        if (!File.Exists(Path.Combine(Hierarchy, "tasks")) || HomeOfThisThread() is null)
        {
            return $"no cgroup v1 pids hierarchy at {Hierarchy} holding this thread";
        }
        return Environment.UserName == "root" ? null : "moving a thread between cgroups needs root";
    }

    /// <summary>Moves the calling thread into a new pids group that allows no more tasks.</summary>
    public static ThreadPidsLimit ForThisThread()
    {
        string home = HomeOfThisThread() ?? throw new InvalidOperationException("this thread is in no v1 pids cgroup");
        string group = Path.Combine(Hierarchy, $"umltlb-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(group);
        int tid = Native.Interop.gettid();
        try
        {
            File.WriteAllText(Path.Combine(group, "pids.max"), "1");
            File.WriteAllText(Path.Combine(group, "tasks"), tid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch
        {
            Directory.Delete(group);
            throw;
        }
        return new ThreadPidsLimit(group, home, tid);
    }

    public void Dispose()
    {
        File.WriteAllText(Path.Combine(_home, "tasks"), _tid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.Delete(_group);
    }

    private static string? HomeOfThisThread()
    {
        foreach (var line in File.ReadAllLines("/proc/thread-self/cgroup"))
        {
            var f = line.Split(':', 3);
            if (f.Length == 3 && f[1].Split(',').Contains("pids"))
            {
                return Hierarchy + f[2].TrimEnd('/');
            }
        }
        return null;
    }
}
