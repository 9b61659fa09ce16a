using System.Xml.Linq;

namespace UmlTlb.HelpBuilder.Tests;

public class MamlWriterTests
{
    private static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    private static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    private static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";

    private static XElement Written() =>
        MamlWriter.Write([CommandMarkdownReader.Read(SampleDocs.Command, "Set-Thing.md")]).Root!.Element(Command + "command")!;

    [Fact]
    public void NamesTheCommandWithItsVerbNounAndSynopsis()
    {
        var details = Written().Element(Command + "details")!;

        Assert.Equal("Set-Thing", details.Element(Command + "name")!.Value);
        Assert.Equal("Set", details.Element(Command + "verb")!.Value);
        Assert.Equal("Thing", details.Element(Command + "noun")!.Value);
        Assert.Equal("Sets a thing.", details.Element(Maml + "description")!.Value);
    }

    [Fact]
    public void WritesOneSyntaxItemPerParameterSetWithItsParameters()
    {
        var items = Written().Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();

        Assert.Equal(2, items.Count);
        Assert.Equal(["Name", "Force"], items[0].Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value));
        Assert.Equal(["Id", "Force"], items[1].Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value));
    }

    [Fact]
    public void ASwitchHasNoValueInTheSyntaxButATypeInTheParameterList()
    {
        var command = Written();
        var inSyntax = command.Descendants(Command + "syntaxItem").First().Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Force");
        var inList = command.Element(Command + "parameters")!.Elements(Command + "parameter").Single(p => p.Element(Maml + "name")!.Value == "Force");

        Assert.Null(inSyntax.Element(Command + "parameterValue"));
        Assert.Equal("SwitchParameter", inList.Element(Dev + "type")!.Element(Maml + "name")!.Value);
    }

    [Fact]
    public void WritesTheParameterAttributesGetHelpShows()
    {
        var name = Written().Element(Command + "parameters")!.Elements(Command + "parameter").First();

        Assert.Equal("true", name.Attribute("required")!.Value);
        Assert.Equal("0", name.Attribute("position")!.Value);
        Assert.Equal("True (ByPropertyName)", name.Attribute("pipelineInput")!.Value);
        Assert.Equal("N, Label", name.Attribute("aliases")!.Value);
        Assert.Equal("true", name.Attribute("globbing")!.Value);
        Assert.Equal("true", name.Attribute("variableLength")!.Value);
    }

    [Fact]
    public void WritesExamplesWithCodeAndRemarks()
    {
        var example = Written().Element(Command + "examples")!.Element(Command + "example")!;

        Assert.Contains("Example 1: Set one", example.Element(Maml + "title")!.Value);
        Assert.Equal("Set-Thing -Name a", example.Element(Dev + "code")!.Value);
        Assert.Equal(["done", "It says done."], example.Element(Dev + "remarks")!.Elements(Maml + "para").Select(p => p.Value));
    }

    [Fact]
    public void ALinkToAnotherDocsFileIsATopicNameWithoutAddress()
    {
        var links = Written().Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink").ToList();

        Assert.Equal(["Get-Thing", "Project"], links.Select(l => l.Element(Maml + "linkText")!.Value));
        Assert.Equal(["", "https://example.org/thing"], links.Select(l => l.Element(Maml + "uri")!.Value));
    }
}
