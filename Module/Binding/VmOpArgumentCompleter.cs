using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;

namespace UmlTlb.Binding;

/// <summary>
/// Tab completion for Add-VmOp's -Operation and -Protection, which are strings so
/// that a bad CSV cell reaches the cmdlet and is reported with its own value.
/// </summary>
public sealed class VmOpArgumentCompleter : IArgumentCompleter
{
    private static readonly string[] Operations = Enum.GetNames<VmOpKind>();
    private static readonly string[] Protections = ["---", "r--", "rw-", "r-x", "rwx", "--x", "-w-", "-wx"];

    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var values = parameterName.Equals("Protection", StringComparison.OrdinalIgnoreCase) ? Protections : Operations;
        string prefix = wordToComplete.Trim('\'', '"');
        foreach (var value in values.Where(v => v.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)))
        {
            string text = value.Contains('-') ? $"'{value}'" : value;
            yield return new CompletionResult(text, value, CompletionResultType.ParameterValue, value);
        }
    }
}
