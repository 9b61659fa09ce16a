using System.Globalization;

namespace UmlTlb.Views;

/// <summary>Parses /proc/pid/maps.</summary>
public static class ProcMaps
{
    public static IReadOnlyList<MemoryMapping> Read(int pid) => Parse(File.ReadAllLines($"/proc/{pid}/maps"));

    public static IReadOnlyList<MemoryMapping> Parse(IEnumerable<string> lines)
    {
        var list = new List<MemoryMapping>();
        foreach (var line in lines)
        {
            // start-end perms offset dev inode [path]; the path may hold spaces.
            var fields = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 5)
            {
                continue;
            }
            var range = fields[0].Split('-');
            string perms = fields[1];
            list.Add(new MemoryMapping
            {
                Start = ulong.Parse(range[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                End = ulong.Parse(range[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                Protection = VmProtectionParser.Parse(perms[..3]),
                Shared = perms.Length > 3 && perms[3] == 's',
                Offset = ulong.Parse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                Path = fields.Length > 5 ? fields[5].Trim() : string.Empty,
            });
        }
        return list;
    }
}
