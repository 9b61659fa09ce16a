using System.Globalization;
using System.Text.RegularExpressions;

namespace UmlTlb.Tests.Infrastructure;

/// <summary>
/// What replaying a strace file should leave in a stub, worked out here from the
/// documented translation (about_UmlTlb) with regular expressions, independently of
/// the engine's reader: one process's address space (its threads and vfork children
/// until they exec), successful whole calls only, lengths rounded up to pages,
/// mmaps given the physical-memory file's pages in order (from 0 again when used up),
/// ops that reach <c>limit</c> left out.
/// </summary>
public sealed partial class TraceModel
{
    private const ulong Page = AddressSpaceModel.PageSize;

    public AddressSpaceModel Model { get; } = new();

    /// <summary>Ops the replay must leave out (failed, split in two, or reaching the limit).</summary>
    public int LeftOut { get; private set; }

    /// <summary>Ops the replay must run, before merging.</summary>
    public int Ops { get; private set; }

    [GeneratedRegex(@"^(?<pid>\d+) +(?<name>\w+)\((?<args>.*)\) += (?<result>\S+)")]
    private static partial Regex CallLine();

    [GeneratedRegex(@"^(?<pid>\d+) +(?:<\.\.\. (?<name>\w+) resumed>|(?<name>\w+)\().*")]
    private static partial Regex AnyLine();

    public static TraceModel Replay(IEnumerable<string> lines, ulong limit, ulong physicalMemorySize, int? pid = null)
    {
        var model = new TraceModel();
        var members = new HashSet<int>();
        var exec = new HashSet<int>();
        int? followed = pid;
        ulong next = 0, brk = 0, low = ulong.MaxValue, high = 0;
        var pendingClone = new Dictionary<int, bool>();

        void Op(VmOpKind kind, ulong address, ulong length, VmProtection prot)
        {
            if (length == 0)
            {
                return;
            }
            if (address + length > limit || (kind == VmOpKind.Mmap && length > physicalMemorySize))
            {
                model.LeftOut++;
                return;
            }
            ulong offset = 0;
            if (kind == VmOpKind.Mmap)
            {
                if (next + length > physicalMemorySize)
                {
                    next = 0;
                }
                offset = next;
                next += length;
                low = Math.Min(low, address);
                high = Math.Max(high, address + length);
            }
            model.Ops++;
            model.Model.Apply(kind, address, length, prot, offset);
        }

        foreach (var line in lines)
        {
            var any = AnyLine().Match(line);
            if (!any.Success)
            {
                continue;
            }
            int p = int.Parse(any.Groups["pid"].Value, CultureInfo.InvariantCulture);
            followed ??= p;
            if (p == followed && !exec.Contains(p))
            {
                members.Add(p);
            }
            string name = any.Groups["name"].Value;
            bool memory = name is "mmap" or "munmap" or "mprotect" or "brk" or "mremap";
            bool split = line.Contains("<unfinished ...>", StringComparison.Ordinal) || line.Contains(" resumed>", StringComparison.Ordinal);
            if (!members.Contains(p))
            {
                continue;
            }
            if (split)
            {
                if (name is "vfork" or "clone" or "clone3" && line.Contains(" resumed>", StringComparison.Ordinal))
                {
                    var r = Regex.Match(line, @"= (\d+)$");
                    if (r.Success && (name == "vfork" || pendingClone.GetValueOrDefault(p)))
                    {
                        members.Add(int.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture));
                    }
                }
                if (name is "clone" or "clone3" && line.Contains("<unfinished", StringComparison.Ordinal))
                {
                    pendingClone[p] = line.Contains("CLONE_VM", StringComparison.Ordinal);
                }
                if (name is "execve" && line.Contains(" resumed>", StringComparison.Ordinal) && line.TrimEnd().EndsWith("= 0", StringComparison.Ordinal) && p != followed)
                {
                    members.Remove(p);
                    exec.Add(p);
                }
                if (memory)
                {
                    model.LeftOut++;
                }
                continue;
            }
            var m = CallLine().Match(line);
            if (!m.Success)
            {
                continue;
            }
            string result = m.Groups["result"].Value;
            if (result.StartsWith('-'))
            {
                if (memory)
                {
                    model.LeftOut++;
                }
                continue;
            }
            string[] a = m.Groups["args"].Value.Split(", ");
            switch (name)
            {
                case "clone" or "clone3" or "vfork":
                    if (name == "vfork" || line.Contains("CLONE_VM", StringComparison.Ordinal))
                    {
                        members.Add(int.Parse(result, CultureInfo.InvariantCulture));
                    }
                    break;
                case "execve":
                    if (p == followed)
                    {
                        if (high > low)
                        {
                            Op(VmOpKind.Munmap, low, high - low, 0);
                        }
                        (low, high, brk) = (ulong.MaxValue, 0, 0);
                        members.Clear();
                        members.Add(p);
                    }
                    else
                    {
                        members.Remove(p);
                        exec.Add(p);
                    }
                    break;
                case "mmap":
                    Op(VmOpKind.Mmap, Num(result), Up(Num(a[1])), Prot(a[2]));
                    break;
                case "munmap":
                    Op(VmOpKind.Munmap, Num(a[0]), Up(Num(a[1])), 0);
                    break;
                case "mprotect":
                    Op(VmOpKind.Mprotect, Num(a[0]), Up(Num(a[1])), Prot(a[2]));
                    break;
                case "brk":
                    ulong end = Num(result);
                    if (brk != 0 && Up(end) > Up(brk))
                    {
                        Op(VmOpKind.Mmap, Up(brk), Up(end) - Up(brk), VmProtection.Read | VmProtection.Write);
                    }
                    else if (brk != 0 && Up(end) < Up(brk))
                    {
                        Op(VmOpKind.Munmap, Up(end), Up(brk) - Up(end), 0);
                    }
                    brk = end;
                    break;
                case "mremap":
                    ulong old = Num(a[0]), oldLength = Up(Num(a[1])), newLength = Up(Num(a[2])), moved = Num(result);
                    if (moved != old)
                    {
                        Op(VmOpKind.Munmap, old, oldLength, 0);
                        Op(VmOpKind.Mmap, moved, newLength, VmProtection.Read | VmProtection.Write);
                    }
                    else if (newLength > oldLength)
                    {
                        Op(VmOpKind.Mmap, old + oldLength, newLength - oldLength, VmProtection.Read | VmProtection.Write);
                    }
                    else if (newLength < oldLength)
                    {
                        Op(VmOpKind.Munmap, old + newLength, oldLength - newLength, 0);
                    }
                    break;
            }
        }
        return model;
    }

    private static ulong Up(ulong n) => (n + Page - 1) / Page * Page;

    private static ulong Num(string s) => s == "NULL" ? 0
        : s.StartsWith("0x", StringComparison.Ordinal) ? ulong.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
        : ulong.Parse(s, CultureInfo.InvariantCulture);

    private static VmProtection Prot(string s) =>
        (s.Contains("PROT_READ", StringComparison.Ordinal) ? VmProtection.Read : 0)
        | (s.Contains("PROT_WRITE", StringComparison.Ordinal) ? VmProtection.Write : 0)
        | (s.Contains("PROT_EXEC", StringComparison.Ordinal) ? VmProtection.Execute : 0);
}
