namespace UmlTlb;

/// <summary>
/// Reads an operation's name as people write it: Mmap, Munmap or Mprotect in any case,
/// with blanks around it. Nothing else: Enum.TryParse would OR a comma list into
/// another operation ('Mmap,Munmap' is Mprotect) and take numbers ('+1' is Mmap).
/// </summary>
public static class VmOpKindParser
{
    public static bool TryParse(string? text, out VmOpKind kind)
    {
        kind = default;
        string name = text?.Trim() ?? string.Empty;
        foreach (var candidate in Enum.GetValues<VmOpKind>())
        {
            if (string.Equals(name, candidate.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                kind = candidate;
                return true;
            }
        }
        return false;
    }
}
