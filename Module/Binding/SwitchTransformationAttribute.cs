using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>
/// Binds a switch from what a CSV cell holds as well as from booleans: 'true'/'false',
/// '1'/'0', 'yes'/'no' (any case), and '' (an empty cell) as false. Anything else is an error,
/// never a silent true (PowerShell would take any non-empty string for $true).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class SwitchTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        return value switch
        {
            null => new SwitchParameter(false),
            SwitchParameter sw => sw,
            bool b => new SwitchParameter(b),
            int or long when Convert.ToInt64(value) is 0 or 1 => new SwitchParameter(Convert.ToInt64(value) == 1),
            string s => s.Trim().ToLowerInvariant() switch
            {
                "" or "false" or "0" or "no" or "$false" => new SwitchParameter(false),
                "true" or "1" or "yes" or "$true" => new SwitchParameter(true),
                _ => throw new ArgumentTransformationMetadataException($"'{s}' is not true or false: write true/false, 1/0, yes/no, or leave the cell empty."),
            },
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not true or false."),
        };
    }
}
