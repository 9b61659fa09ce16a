using System.Globalization;
using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>
/// Binds addresses, lengths and offsets from what scripts and CSV files hold:
/// numbers of any integer type, '0x7f0000' hex strings, decimal strings, and ''
/// (an empty CSV cell) as 0.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class NumberTransformationAttribute : ArgumentTransformationAttribute
{
    /// <summary>Bind $null and blank strings as null, for a nullable parameter whose command checks them.</summary>
    public bool BlankIsNull { get; set; }

    public override object? Transform(EngineIntrinsics engineIntrinsics, object? inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        if (BlankIsNull && (value is null || value is string blank && string.IsNullOrWhiteSpace(blank)))
        {
            return null;
        }
        return value switch
        {
            null => 0UL,
            ulong u => u,
            uint or ushort or byte => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            long or int or short or sbyte when Convert.ToInt64(value, CultureInfo.InvariantCulture) >= 0 => Convert.ToUInt64(value, CultureInfo.InvariantCulture),
            double d when d >= 0 && d <= ulong.MaxValue && Math.Floor(d) == d => (ulong)d,
            decimal m when m >= 0 && m <= ulong.MaxValue && decimal.Floor(m) == m => (ulong)m,
            System.Numerics.BigInteger b when b >= 0 && b <= ulong.MaxValue => (ulong)b,
            string s => Parse(s),
            _ => throw new ArgumentTransformationMetadataException($"'{value}' is not an unsigned 64-bit number."),
        };
    }

    public static ulong Parse(string text)
    {
        string s = text.Trim().Replace("_", string.Empty, StringComparison.Ordinal);
        if (s.Length == 0)
        {
            return 0;
        }
        bool ok = s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(s.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong value)
            : ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        return ok ? value : throw new ArgumentTransformationMetadataException(
            $"'{text}' is not an unsigned 64-bit number: write it in decimal (4096) or hex (0x1000).");
    }
}
