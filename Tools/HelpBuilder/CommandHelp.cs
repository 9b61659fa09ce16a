namespace UmlTlb.HelpBuilder;

/// <summary>One cmdlet's help as its markdown file states it.</summary>
internal sealed record CommandHelp(
    string Name,
    string Synopsis,
    IReadOnlyList<string> Description,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<ExampleHelp> Examples,
    IReadOnlyList<ParameterHelp> Parameters,
    IReadOnlyList<TypeHelp> Inputs,
    IReadOnlyList<TypeHelp> Outputs,
    IReadOnlyList<string> Notes,
    IReadOnlyList<LinkHelp> RelatedLinks,
    string? OnlineVersion);

/// <summary>An example: its title, its PowerShell code, and what the text around it says.</summary>
internal sealed record ExampleHelp(string Title, string Code, IReadOnlyList<string> Remarks);

/// <summary>A parameter: its description and the fields of its yaml block.</summary>
internal sealed record ParameterHelp(
    string Name,
    IReadOnlyList<string> Description,
    string Type,
    IReadOnlyList<string> ParameterSets,
    IReadOnlyList<string> Aliases,
    bool Required,
    string Position,
    string DefaultValue,
    string PipelineInput,
    bool Globbing)
{
    /// <summary>Sets named "(All)" in the yaml block belong to every parameter set.</summary>
    public bool InSet(string set) => ParameterSets.Contains("(All)") || ParameterSets.Contains(set, StringComparer.OrdinalIgnoreCase);

    public bool IsSwitch => Type is "SwitchParameter" or "System.Management.Automation.SwitchParameter";
}

/// <summary>An input or output type and what the help says of it.</summary>
internal sealed record TypeHelp(string TypeName, IReadOnlyList<string> Description);

internal sealed record LinkHelp(string Text, string Uri);
