namespace UmlTlb.Sources;

/// <summary>
/// One system call as strace printed it, split into pid, name, arguments and result.
/// Reads what <c>strace -f -o FILE</c> writes, with or without -t/-tt/-ttt timestamps.
/// </summary>
internal readonly record struct StraceCall(int Pid, string Name, string Arguments, string Result)
{
    /// <summary>True for a result that is not an errno and not '?' (a call the process never returned from).</summary>
    public bool Succeeded => Result.Length > 0 && Result[0] != '-' && Result[0] != '?';

    /// <summary>The arguments at the top level of the call, split at commas outside braces, brackets and quotes.</summary>
    public IReadOnlyList<string> SplitArguments()
    {
        var parts = new List<string>();
        int depth = 0, start = 0;
        bool quoted = false;
        for (int i = 0; i < Arguments.Length; i++)
        {
            char c = Arguments[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                continue;
            }
            switch (c)
            {
                case '"':
                    quoted = true;
                    break;
                case '{' or '[' or '(':
                    depth++;
                    break;
                case '}' or ']' or ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    parts.Add(Arguments[start..i].Trim());
                    start = i + 1;
                    break;
            }
        }
        if (Arguments.Length > 0)
        {
            parts.Add(Arguments[start..].Trim());
        }
        return parts;
    }

    /// <summary>The number strace printed for an address, length or result: NULL, decimal or 0x hex.</summary>
    public static bool TryParseNumber(string text, out ulong value)
    {
        value = 0;
        text = text.Trim();
        if (text == "NULL")
        {
            return true;
        }
        return text.StartsWith("0x", StringComparison.Ordinal)
            ? ulong.TryParse(text.AsSpan(2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out value)
            : ulong.TryParse(text, System.Globalization.NumberStyles.None, null, out value);
    }
}

/// <summary>What one line of a trace holds.</summary>
internal enum StraceLineKind
{
    /// <summary>A whole call, or a resumed one joined with its start.</summary>
    Call,

    /// <summary>The first half of a call another process's line interrupted (&lt;unfinished ...&gt;).</summary>
    Unfinished,

    /// <summary>Signals (---), exits (+++), blank lines and other text that is not a call.</summary>
    Other,

    /// <summary>A line that starts like a call but cannot be read.</summary>
    Unreadable,
}

/// <summary>Splits trace lines into calls; joins '&lt;... name resumed&gt;' halves to their starts, per pid.</summary>
internal sealed class StraceLineReader
{
    private const string UnfinishedMark = " <unfinished ...>";
    private readonly Dictionary<int, string> _unfinished = new();

    /// <summary>True when the call on the line was split in two (unfinished, then resumed).</summary>
    public bool WasSplit { get; private set; }

    public StraceLineKind Read(string line, out StraceCall call)
    {
        call = default;
        WasSplit = false;
        var text = line.AsSpan().TrimEnd();
        int pid = 0;
        int digits = 0;
        while (digits < text.Length && char.IsAsciiDigit(text[digits]))
        {
            digits++;
        }
        if (digits > 0 && digits < text.Length && text[digits] == ' ' && int.TryParse(text[..digits], out pid))
        {
            text = text[(digits + 1)..].TrimStart();
        }
        text = SkipTimestamp(text);
        if (text.IsEmpty || text.StartsWith("+++") || text.StartsWith("---"))
        {
            return StraceLineKind.Other;
        }
        string whole;
        if (text.StartsWith("<... "))
        {
            int end = text.IndexOf(" resumed>", StringComparison.Ordinal);
            if (end < 0 || !_unfinished.Remove(pid, out var start))
            {
                return StraceLineKind.Unreadable;
            }
            whole = start + text[(end + " resumed>".Length)..].ToString();
            WasSplit = true;
        }
        else if (text.EndsWith(UnfinishedMark, StringComparison.Ordinal))
        {
            _unfinished[pid] = text[..^UnfinishedMark.Length].ToString();
            return StraceLineKind.Unfinished;
        }
        else
        {
            whole = text.ToString();
        }
        // "name(arguments)<blanks strace pads with to align results> = result"
        int open = whole.IndexOf('(');
        int equals = whole.LastIndexOf(" = ", StringComparison.Ordinal);
        int close = equals < 0 ? -1 : whole.LastIndexOf(')', equals);
        if (open <= 0 || close < open || !whole.AsSpan(close + 1, equals - close - 1).IsWhiteSpace())
        {
            return StraceLineKind.Unreadable;
        }
        string result = whole[(equals + 3)..].Trim();
        // "-1 ENOMEM (Cannot allocate memory)": the sign is what tells failure; keep the errno name for messages.
        call = new StraceCall(pid, whole[..open], whole[(open + 1)..close], result.Length == 0 ? "?" : result);
        return StraceLineKind.Call;
    }

    /// <summary>Pids whose call was left unfinished when the trace ended.</summary>
    public IReadOnlyCollection<int> StillUnfinished => _unfinished.Keys;

    private static ReadOnlySpan<char> SkipTimestamp(ReadOnlySpan<char> text)
    {
        // -t "12:34:56", -tt "12:34:56.123456", -ttt "1700000000.123456", -r "0.000123".
        int n = 0;
        while (n < text.Length && (char.IsAsciiDigit(text[n]) || text[n] is ':' or '.'))
        {
            n++;
        }
        return n > 0 && n < text.Length && text[n] == ' ' && text[..n].IndexOfAny(':', '.') >= 0 ? text[(n + 1)..].TrimStart() : text;
    }
}
