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
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            bool any = false;
            foreach (var stub in all.Where(s => pattern.IsMatch(s.Name)))
            {
                any = true;
                yield return stub;
            }
            if (!any && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                cmdlet.WriteError(new ErrorRecord(
                    new ItemNotFoundException($"No stub process named '{name}' in this session."),
                    "StubProcessNotFound", ErrorCategory.ObjectNotFound, name));
            }
        }
    }
}
