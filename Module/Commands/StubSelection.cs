using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>Finds stubs by Id or wildcard Name, writing ObjectNotFound for a literal that matches nothing.</summary>
internal static class StubSelection
{
    public static IEnumerable<StubProcess> ById(Cmdlet cmdlet, IEnumerable<int> ids)
    {
        foreach (int id in ids)
        {
            if (StubRegistry.Get(id) is { } stub)
            {
                yield return stub;
            }
            else
            {
                cmdlet.WriteError(new ErrorRecord(
                    new ItemNotFoundException($"No stub process with Id {id} in this session."),
                    "StubProcessNotFound", ErrorCategory.ObjectNotFound, id));
            }
        }
    }

    public static IEnumerable<StubProcess> ByName(Cmdlet cmdlet, IEnumerable<string> names)
    {
        var all = StubRegistry.All;
        foreach (string name in names)
        {
            var matches = NameMatcher(name);
            bool any = false;
            foreach (var stub in all.Where(s => matches(s.Name)))
            {
                any = true;
                yield return stub;
            }
            if (!any && !IsValidPattern(name))
            {
                cmdlet.WriteError(new ErrorRecord(
                    new ItemNotFoundException($"No stub process named '{name}' in this session."),
                    "StubProcessNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }
    }

    /// <summary>
    /// A wildcard pattern, or the literal name when the text is not a valid pattern ('a[b'):
    /// a name that only looks like a broken pattern is still a name.
    /// </summary>
    private static Func<string, bool> NameMatcher(string name)
    {
        if (!IsValidPattern(name))
        {
            return s => string.Equals(s, name, StringComparison.OrdinalIgnoreCase);
        }
        var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
        return pattern.IsMatch;
    }

    private static bool IsValidPattern(string name)
    {
        if (!WildcardPattern.ContainsWildcardCharacters(name))
        {
            return false;
        }
        try
        {
            // The pattern is parsed at its first use.
            new WildcardPattern(name, WildcardOptions.IgnoreCase).IsMatch(string.Empty);
            return true;
        }
        catch (WildcardPatternException)
        {
            return false;
        }
    }
}
