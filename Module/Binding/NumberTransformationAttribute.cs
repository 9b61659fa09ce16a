using System.Collections;
using System.Globalization;
using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>
/// Binds addresses, lengths and offsets from what scripts and CSV files hold:
/// numbers of any integer type, '0x7f0000' hex strings and decimal strings.
/// $null and blank strings (an unset variable, an empty CSV cell) are errors, never 0,
/// unless <see cref="BlankIsNull"/> lets the command decide what a missing value means.
/// PowerShell names the parameter in the error it makes of ours.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class NumberTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Bind $null and blank strings as null, for a nullable parameter whose command checks them.</summary>
    public bool BlankIsNull { get; set; }

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (value is null || value is string blank && string.IsNullOrWhiteSpace(blank))
        {
            return BlankIsNull ? null : throw new ArgumentTransformationMetadataException(
                value is null ? "The value is $null (an unset variable?): give a number." : "The value is an empty string: give a number.");
        }
        return value switch
        {
            ulong u => u,
            uint or ushort or byte => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            long or int or short or sbyte when Convert.ToInt64(value, CultureInfo.InvariantCulture) >= 0 => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            double d when d >= 0 && d < 18446744073709551616.0 && Math.Floor(d) == d => (ulong)d,
            decimal m when m >= 0 && m <= ulong.MaxValue && decimal.Floor(m) == m => (ulong)m,
            System.Numerics.BigInteger b when b >= 0 && b <= ulong.MaxValue => (ulong)b,
            string s => Parse(s),
            ICollection c => throw new ArgumentTransformationMetadataException(
                $"{c.Count} values where one number is expected: pass one number (an array is not an address)."),
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not an unsigned 64-bit number (0 to 2^64-1)."),
        };
    }

    /// <summary>A non-blank number as every op path reads it (<see cref="VmOpFieldParser.TryParseNumber"/>).</summary>
    public static ulong Parse(string text) =>
        VmOpFieldParser.TryParseNumber(text, out ulong value)
            ? value
            : throw new ArgumentTransformationMetadataException(VmOpFieldParser.NumberError(text) + " It must be below 2^64.");
}
