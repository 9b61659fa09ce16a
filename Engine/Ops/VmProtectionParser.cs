using System.Globalization;

namespace UmlTlb;

/// <summary>
/// Reads protection the ways people write it: /proc/pid/maps style ('rw-', 'r-x', '---',
/// 'rw-p'), letters ('RW', 'rx'), enum names ('Read,Write', 'None') or a PROT_* number.
/// </summary>
public static class VmProtectionParser
{
    public static bool TryParse(string? text, out VmProtection protection)
    {
        protection = VmProtection.None;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number))
        {
            protection = (VmProtection)number;
            return number is >= 0 and <= 7;
        }
        if (TryParseLetters(text, out protection))
        {
            return true;
        }
        return Enum.TryParse(text, ignoreCase: true, out protection)
            && ((int)protection & ~7) == 0
            && !text.Any(char.IsDigit);
    }

    public static VmProtection Parse(string text) =>
        TryParse(text, out var protection)
            ? protection
            : throw new FormatException($"'{text}' is not a protection: use 'rwx' letters with '-' for none (rw-, r-x, ---), or names (Read, Write, Execute, None).");

    /// <summary>The maps-style spelling: 'rw-'.</summary>
    public static string ToMapsString(VmProtection protection) =>
        string.Concat(
            protection.HasFlag(VmProtection.Read) ? "r" : "-",
            protection.HasFlag(VmProtection.Write) ? "w" : "-",
            protection.HasFlag(VmProtection.Execute) ? "x" : "-");

    private static bool TryParseLetters(string text, out VmProtection protection)
    {
        protection = VmProtection.None;
        // 'rw-' and 'rw-p' are positional; 'RW' and 'xr' are sets of letters.
        bool positional = text.Length is 3 or 4 && text.Contains('-') || text == "---";
        if (positional)
        {
            if (text.Length == 4 && text[3] is not ('p' or 's' or 'P' or 'S'))
            {
                return false;
            }
            char r = char.ToLowerInvariant(text[0]), w = char.ToLowerInvariant(text[1]), x = char.ToLowerInvariant(text[2]);
            if (r is not ('r' or '-') || w is not ('w' or '-') || x is not ('x' or '-'))
            {
                return false;
            }
            protection = (r == 'r' ? VmProtection.Read : 0) | (w == 'w' ? VmProtection.Write : 0) | (x == 'x' ? VmProtection.Execute : 0);
            return true;
        }
        if (text.Length > 3)
        {
            return false;
        }
        foreach (char c in text.ToLowerInvariant())
        {
            var flag = c switch { 'r' => VmProtection.Read, 'w' => VmProtection.Write, 'x' => VmProtection.Execute, _ => (VmProtection)(-1) };
            if (flag == (VmProtection)(-1) || protection.HasFlag(flag))
            {
                return false;
            }
            protection |= flag;
        }
        return true;
    }
}
