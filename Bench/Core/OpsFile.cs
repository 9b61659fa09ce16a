using System.Globalization;
using System.Text;

namespace UmlTlb.Bench.Core;

/// <summary>
/// The workload as a CSV file for Invoke-VmFlush -Path: the standard mix (map N separate pages,
/// mprotect each read-only, munmap each) repeated over the same range, so that a million ops never
/// hold more than N mappings (well below vm.max_map_count). Public: Bench/file-bench.ps1 writes the
/// same file through it.
/// </summary>
public static class OpsFile
{
    public const string Header = "Operation,Address,Length,Protection,Offset";

    /// <summary>Repetitions of the 3N-op mix that make at least <paramref name="targetOps"/> ops.</summary>
    public static int Repeats(int n, long targetOps) => (int)Math.Max(1, (targetOps + 3L * n - 1) / (3L * n));

    /// <summary>Writes the file; returns how many ops (rows) it holds.</summary>
    public static long Write(string path, int n, long targetOps)
    {
        int repeats = Repeats(n, targetOps);
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.WriteLine(Header);
        for (int r = 0; r < repeats; r++)
        {
            WriteMix(writer, n);
        }
        return 3L * n * repeats;
    }

    /// <summary>The rows of one mix: what Bench/cmdlet-bench.ps1 and the engine rows run, as text.</summary>
    public static void WriteMix(TextWriter writer, int n)
    {
        ulong size = StubStartOptions.DefaultPhysicalMemorySize;
        var inv = CultureInfo.InvariantCulture;
        for (int i = 0; i < n; i++)
        {
            writer.WriteLine(string.Create(inv, $"Mmap,0x{Workload.AddressOf(i):x},0x1000,rw-,0x{Workload.OffsetOf(i, size):x}"));
        }
        for (int i = 0; i < n; i++)
        {
            writer.WriteLine(string.Create(inv, $"Mprotect,0x{Workload.AddressOf(i):x},0x1000,r--,"));
        }
        for (int i = 0; i < n; i++)
        {
            writer.WriteLine(string.Create(inv, $"Munmap,0x{Workload.AddressOf(i):x},0x1000,,"));
        }
    }
}
