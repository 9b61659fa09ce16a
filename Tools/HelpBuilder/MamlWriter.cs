using System.Xml.Linq;

namespace UmlTlb.HelpBuilder;

/// <summary>
/// Writes cmdlet help as MAML, the XML that Get-Help reads from
/// &lt;module&gt;/en-US/&lt;assembly&gt;-Help.xml, in the shape New-ExternalHelp produces.
/// </summary>
internal static class MamlWriter
{
    private static readonly XNamespace Msh = "http://msh";
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    public static XDocument Write(IEnumerable<CommandHelp> commands) => new(
        new XDeclaration("1.0", "utf-8", null),
        new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(Command_)));

    private static XElement Command_(CommandHelp help)
    {
        string[] verbNoun = help.Name.Split('-', 2);
        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XElement(Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", verbNoun[0]),
                new XElement(Command + "noun", verbNoun.Length > 1 ? verbNoun[1] : string.Empty),
                Description([help.Synopsis])),
            Description(help.Description),
            new XElement(Command + "syntax", help.ParameterSets.Select(set => SyntaxItem(help, set))),
            new XElement(Command + "parameters", help.Parameters.Select(p => Parameter(p, inSyntax: false))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement("inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(help.Notes))),
            new XElement(Command + "examples", help.Examples.Select(Example)),
            new XElement(Command + "relatedLinks", Links(help)));
    }

    private static XElement SyntaxItem(CommandHelp help, string set) => new(Command + "syntaxItem",
        new XElement(Maml + "name", help.Name),
        help.Parameters.Where(p => set == "(All)" || p.InSet(set))
            // Positional parameters first, in position order, as Get-Command -Syntax lists them.
            .OrderBy(p => int.TryParse(p.Position, out int n) ? n : int.MaxValue)
            .Select(p => Parameter(p, inSyntax: true)));

    private static XElement Parameter(ParameterHelp p, bool inSyntax) => new(Command + "parameter",
        new XAttribute("required", p.Required ? "true" : "false"),
        new XAttribute("variableLength", p.Type.EndsWith("[]", StringComparison.Ordinal) ? "true" : "false"),
        new XAttribute("globbing", p.Globbing ? "true" : "false"),
        new XAttribute("pipelineInput", p.PipelineInput),
        new XAttribute("position", p.Position.ToLowerInvariant() == "named" ? "named" : p.Position),
        new XAttribute("aliases", p.Aliases.Count > 0 ? string.Join(", ", p.Aliases) : "none"),
        new XElement(Maml + "name", p.Name),
        Description(p.Description),
        // Get-Help shows a switch as [-Name] in the syntax: no value element there.
        p.IsSwitch && inSyntax ? null : new XElement(Command + "parameterValue",
            new XAttribute("required", p.IsSwitch ? "false" : "true"),
            new XAttribute("variableLength", "false"),
            p.Type),
        new XElement(Dev + "type", new XElement(Maml + "name", p.Type), new XElement(Maml + "uri")),
        new XElement(Dev + "defaultValue", p.DefaultValue));

    private static XElement TypeElement(string element, TypeHelp type) => new(Command + element,
        new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
        Description(type.Description));

    private static XElement Example(ExampleHelp example) => new(Command + "example",
        new XElement(Maml + "title", $"-------------------------- {example.Title} --------------------------"),
        new XElement(Dev + "code", example.Code),
        new XElement(Dev + "remarks", Paras(example.Remarks)));

    private static IEnumerable<XElement> Links(CommandHelp help)
    {
        if (!string.IsNullOrEmpty(help.OnlineVersion))
        {
            yield return Link("Online Version:", help.OnlineVersion);
        }
        foreach (var link in help.RelatedLinks)
        {
            // A link to another file of docs/ is a topic name to Get-Help, not an address.
            bool web = link.Uri.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || link.Uri.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
            yield return Link(link.Text, web ? link.Uri : string.Empty);
        }
    }

    private static XElement Link(string text, string uri) => new(Maml + "navigationLink",
        new XElement(Maml + "linkText", text),
        new XElement(Maml + "uri", uri));

    private static XElement Description(IEnumerable<string> paragraphs) => new(Maml + "description", Paras(paragraphs));

    private static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs) =>
        paragraphs.Select(p => new XElement(Maml + "para", p));
}
