using System.Text;

namespace UmlTlb.Views;

/// <summary>
/// What a test expects at a range of a stub's address space: mapped throughout,
/// optionally with one protection and mapping the physical-memory file from one
/// offset on. Checked against /proc/pid/maps, the kernel's account, not the engine's.
/// </summary>
public sealed record MappingExpectation(ulong Address, ulong Length, VmProtection? Protection = null, ulong? Offset = null)
{
    public ulong End => Address + Length;

    /// <summary>True when <paramref name="maps"/> (sorted, as /proc lists them) cover the range as expected.</summary>
    public bool IsMetBy(IReadOnlyList<MemoryMapping> maps, string physicalMemoryPath)
    {
        ulong next = Address;
        foreach (var map in maps.Where(m => m.End > Address && m.Start < End))
        {
            if (map.Start > next)
            {
                return false;
            }
            if (Protection is { } protection && map.Protection != protection)
            {
                return false;
            }
            if (Offset is { } offset
                && (!map.Path.StartsWith(physicalMemoryPath, StringComparison.Ordinal)
                    || map.Offset + (Math.Max(map.Start, Address) - map.Start) != offset + (Math.Max(map.Start, Address) - Address)))
            {
                return false;
            }
            next = map.End;
        }
        return next >= End;
    }

    /// <summary>What is mapped in the range, for a message: each mapping cut to the range, and the holes.</summary>
    public string DescribeActual(IReadOnlyList<MemoryMapping> maps)
    {
        var parts = new List<string>();
        ulong next = Address;
        foreach (var map in maps.Where(m => m.End > Address && m.Start < End))
        {
            if (map.Start > next)
            {
                parts.Add($"0x{next:x}-0x{map.Start:x} not mapped");
            }
            string path = map.Path.Length > 0 ? " " + map.Path : " (anonymous)";
            parts.Add($"0x{map.Start:x}-0x{map.End:x} {map.Permissions} offset 0x{map.Offset:x}{path}");
            next = map.End;
        }
        if (next < End)
        {
            parts.Add($"0x{next:x}-0x{End:x} not mapped");
        }
        return string.Join("; ", parts);
    }

    public override string ToString()
    {
        var text = new StringBuilder($"0x{Address:x}-0x{End:x} mapped");
        if (Protection is { } protection)
        {
            text.Append(' ').Append(VmProtectionParser.ToMapsString(protection));
        }
        if (Offset is { } offset)
        {
            text.Append($" from physical memory offset 0x{offset:x}");
        }
        return text.ToString();
    }
}
