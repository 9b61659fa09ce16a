using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace UmlTlb.Binding;

/// <summary>
/// Tab completion of the stubs this process runs, as Get-Process -Name completes
/// processes: -Id completes ids, -Name and -Stub complete names.
/// </summary>
public sealed class StubArgumentCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string prefix = wordToComplete.Trim('\'', '"');
        bool byId = parameterName.Equals("Id", StringComparison.OrdinalIgnoreCase);
        foreach (var stub in StubRegistry.All)
        {
            string value = byId ? stub.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : stub.Name;
            if (!value.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            string tooltip = $"{stub.Name}: Id {stub.Id}, pid {stub.ProcessId}, {stub.Architecture}, {stub.State}";
            yield return new CompletionResult(Quote(value), value, CompletionResultType.ParameterValue, tooltip);
        }
    }

    /// <summary>A name with spaces or quotes completes as a single-quoted string.</summary>
    private static string Quote(string value) =>
        value.Length > 0 && value.All(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.')
            ? value
            : "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";
}
