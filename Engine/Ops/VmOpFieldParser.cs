using System.Globalization;

namespace UmlTlb;

/// <summary>
/// Reads an op's fields from text, the one set of rules for every way ops arrive:
/// Add-VmOp's parameters and the rows of a file that Invoke-VmFlush reads itself.
/// The messages are the ones users see, so both paths say the same thing.
/// </summary>
public static class VmOpFieldParser
{
    /// <summary>Only the three names, any case, surrounding blanks ignored: no numbers, no comma lists.</summary>
    public static bool TryParseOperation(ReadOnlySpan<char> text, out VmOpKind kind)
    {
        text = text.Trim();
        kind = text.Equals("Mmap", StringComparison.OrdinalIgnoreCase) ? VmOpKind.Mmap
            : text.Equals("Munmap", StringComparison.OrdinalIgnoreCase) ? VmOpKind.Munmap
            : text.Equals("Mprotect", StringComparison.OrdinalIgnoreCase) ? VmOpKind.Mprotect
            : 0;
        return kind != 0;
    }

    public static string OperationError(string text) => $"'{text}' is not an operation: use Mmap, Munmap or Mprotect.";

    /// <summary>Address or Length not given: never read as 0, which is an address like any other.</summary>
    public static string MissingNumberError(string field) =>
        $"No -{field} given: an op needs Operation, Address and Length, each a number (not $null).";

    /// <summary>An Mmap whose Offset field is there but blank: 0 is only taken when there is no Offset at all.</summary>
    public const string BlankMmapOffsetError =
        "-Offset is $null or empty: an Mmap needs a page-aligned offset into the physical-memory file (0 for its start).";

    public const string MissingOperationError =
        "No operation given: pass -Operation (Mmap, Munmap or Mprotect), an object with an Operation property, or a VmOp.";

    /// <summary>
    /// Decimal ('4096') or hex ('0x1000'), '_' allowed between digits, blanks around;
    /// an empty text is 0 (an empty CSV cell). No sign, no junk, nothing at or above 2^64.
    /// </summary>
    public static bool TryParseNumber(ReadOnlySpan<char> text, out ulong value)
    {
        text = text.Trim();
        value = 0;
        if (text.Length == 0)
        {
            return true;
        }
        if (text.Contains('_'))
        {
            Span<char> buffer = stackalloc char[Math.Min(text.Length, 256)];
            if (text.Length > buffer.Length)
            {
                return false;
            }
            int n = 0;
            foreach (char c in text)
            {
                if (c != '_')
                {
                    buffer[n++] = c;
                }
            }
            return TryParseDigits(buffer[..n], out value);
        }
        return TryParseDigits(text, out value);
    }

    public static string NumberError(string text) =>
        $"'{text}' is not an unsigned 64-bit number: write it in decimal (4096) or hex (0x1000).";

    /// <summary>Empty is none; otherwise <see cref="VmProtectionParser"/>'s spellings.</summary>
    public static bool TryParseProtection(string? text, out VmProtection protection)
    {
        protection = VmProtection.None;
        return string.IsNullOrWhiteSpace(text) || VmProtectionParser.TryParse(text, out protection);
    }

    public static string ProtectionError(string text) =>
        $"'{text}' is not a protection: use letters as /proc/pid/maps shows them ('rw-', 'r-x', '---'), 'RW', or names ('Read,Write', 'None').";

    private static bool TryParseDigits(ReadOnlySpan<char> s, out ulong value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }
        return s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value)
            : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
