using System.Management.Automation;
using System.Text;

namespace UmlTlb.Commands;

/// <summary>-WhatIf for the commands that flush: whether it was asked for, and the text that shows a preview.</summary>
internal static class DryRun
{
    /// <summary>True under -WhatIf or $WhatIfPreference (ShouldProcess alone cannot tell a dry run from a "No" to -Confirm).</summary>
    public static bool Requested(PSCmdlet cmdlet) =>
        cmdlet.MyInvocation.BoundParameters.TryGetValue("WhatIf", out var w) ? ((SwitchParameter)w).IsPresent
        : cmdlet.GetVariableValue("WhatIfPreference") is { } p && LanguagePrimitives.IsTrue(p);

    /// <summary>Shows the preview as the What-if text (each host op, each change to the shadow, the counts) and writes it.</summary>
    public static void Show(PSCmdlet cmdlet, VmFlushPreview preview)
    {
        var text = new StringBuilder();
        text.AppendLine(preview.ToString());
        foreach (var op in preview.HostOperations)
        {
            text.AppendLine("  " + op);
        }
        foreach (var change in preview.Changes)
        {
            text.AppendLine("  " + change);
        }
        cmdlet.ShouldProcess(text.ToString().TrimEnd(), null, null);
        cmdlet.WriteObject(preview);
    }
}
