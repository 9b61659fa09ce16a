using YamlDotNet.Serialization;

namespace UmlTlb.HelpBuilder;

/// <summary>
/// The yaml block PlatyPS writes under each parameter ("Type: String",
/// "Accept pipeline input: True (ByValue)"), read with YamlDotNet.
/// </summary>
internal static class ParameterBlock
{
    private static readonly string[] Fields =
    [
        "Type", "Parameter Sets", "Aliases", "Required", "Position", "Default value",
        "Accept pipeline input", "Accept wildcard characters",
    ];

    private static readonly IDeserializer Yaml = new DeserializerBuilder().Build();

    /// <summary>The block's fields by name; throws when a field is missing or unknown.</summary>
    public static IReadOnlyDictionary<string, string> Read(string yaml, string parameter)
    {
        Dictionary<string, string?> raw;
        try
        {
            raw = Yaml.Deserialize<Dictionary<string, string?>>(yaml) ?? new();
        }
        catch (YamlDotNet.Core.YamlException e)
        {
            throw new HelpFormatException($"-{parameter}: its yaml block does not parse: {e.Message}");
        }
        var unknown = raw.Keys.Except(Fields).ToList();
        if (unknown.Count > 0)
        {
            throw new HelpFormatException($"-{parameter}: unknown field(s) in its yaml block: {string.Join(", ", unknown)}.");
        }
        var missing = Fields.Except(raw.Keys).ToList();
        if (missing.Count > 0)
        {
            throw new HelpFormatException($"-{parameter}: its yaml block lacks {string.Join(", ", missing)}.");
        }
        return raw.ToDictionary(p => p.Key, p => p.Value?.Trim() ?? string.Empty);
    }

    /// <summary>"Type, Kind" or "None" or empty as a list.</summary>
    public static IReadOnlyList<string> List(string value) =>
        value is "" or "None"
            ? []
            : value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    public static bool Flag(string value, string field, string parameter) => value.ToLowerInvariant() switch
    {
        "true" => true,
        "false" => false,
        _ => throw new HelpFormatException($"-{parameter}: '{field}' must be True or False, not '{value}'."),
    };
}
