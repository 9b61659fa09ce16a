using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>Binds 'rw-', 'r-x', '---', 'RW', 'Read,Write' and numbers to <see cref="VmProtection"/>; '' is None.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ProtectionTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return VmProtection.None;
            case VmProtection p:
                return p;
            case int or long or byte or short when Convert.ToInt64(value) is >= 0 and <= 7:
                return (VmProtection)Convert.ToInt32(value);
            case string s when s.Trim().Length == 0:
                return VmProtection.None;
            case string s when VmProtectionParser.TryParse(s, out var parsed):
                return parsed;
            case object[] parts:
                var all = VmProtection.None;
                foreach (var part in parts)
                {
                    all |= (VmProtection)Transform(engineIntrinsics, part);
                }
                return all;
            default:
                throw new ArgumentTransformationMetadataException(
                    $"'{value}' is not a protection: use letters as /proc/pid/maps shows them ('rw-', 'r-x', '---'), 'RW', or names ('Read,Write', 'None').");
        }
    }
}
