using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>Binds 'mmap', 'Munmap', 'MPROTECT' (any case) to <see cref="VmOpKind"/>, with a clear error for anything else.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class OperationTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is VmOpKind kind && Enum.IsDefined(kind))
        {
            return kind;
        }
        if (value is string s && Enum.TryParse(s.Trim(), ignoreCase: true, out VmOpKind parsed)
            && Enum.IsDefined(parsed) && !s.Trim().All(char.IsDigit))
        {
            return parsed;
        }
        throw new ArgumentTransformationMetadataException($"'{value}' is not an operation: use Mmap, Munmap or Mprotect.");
    }
}
