namespace UmlTlb.HelpBuilder.Tests;

public class CommandMarkdownReaderTests
{
    [Fact]
    public void ReadsEverySectionOfACommandFile()
    {
        var help = CommandMarkdownReader.Read(SampleDocs.Command, "Set-Thing.md");

        Assert.Equal("Set-Thing", help.Name);
        Assert.Equal("Sets a thing.", help.Synopsis);
        Assert.Equal(["The Set-Thing cmdlet sets things.", "- first point", "- second point"], help.Description);
        Assert.Equal(["ByName", "ById"], help.ParameterSets);
        var example = Assert.Single(help.Examples);
        Assert.Equal("Example 1: Set one", example.Title);
        Assert.Equal("Set-Thing -Name a", example.Code);
        Assert.Equal(["done", "It says done."], example.Remarks);
        Assert.Equal(["Name", "Id", "Force"], help.Parameters.Select(p => p.Name));
        Assert.Equal("System.String", Assert.Single(help.Inputs).TypeName);
        Assert.Equal(["A note."], help.Notes);
        Assert.Equal(["Get-Thing.md", "https://example.org/thing"], help.RelatedLinks.Select(l => l.Uri));
    }

    [Fact]
    public void ReadsAParameterFromItsYamlBlock()
    {
        var name = CommandMarkdownReader.Read(SampleDocs.Command, "Set-Thing.md").Parameters[0];

        Assert.Equal("String[]", name.Type);
        Assert.Equal(["N", "Label"], name.Aliases);
        Assert.True(name.Required);
        Assert.Equal("0", name.Position);
        Assert.Equal("True (ByPropertyName)", name.PipelineInput);
        Assert.True(name.Globbing);
        Assert.True(name.InSet("ByName"));
        Assert.False(name.InSet("ById"));
    }

    [Fact]
    public void CommonParametersIsNotAParameter()
    {
        var help = CommandMarkdownReader.Read(SampleDocs.Command, "Set-Thing.md");

        Assert.DoesNotContain(help.Parameters, p => p.Name.Contains("Common", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("## NOTES\nA note.\n\n", "NOTES")]
    [InlineData("## SYNOPSIS\nSets a `thing`.\n\n", "SYNOPSIS")]
    public void AMissingSectionIsNamed(string removed, string section)
    {
        var e = Assert.Throws<HelpFormatException>(() => CommandMarkdownReader.Read(SampleDocs.Command.Replace(removed, string.Empty), "x.md"));

        Assert.Contains(section, e.Message);
        Assert.StartsWith("x.md:", e.Message);
    }

    [Fact]
    public void AYamlBlockWithoutAFieldIsRefusedNamingTheParameterAndTheField()
    {
        string markdown = SampleDocs.Command.Replace("Default value: None\nAccept pipeline input: True (ByPropertyName)", "Accept pipeline input: True (ByPropertyName)");

        var e = Assert.Throws<HelpFormatException>(() => CommandMarkdownReader.Read(markdown, "x.md"));

        Assert.Contains("-Name", e.Message);
        Assert.Contains("Default value", e.Message);
    }

    [Fact]
    public void AnExampleWithoutPowerShellCodeIsRefused()
    {
        string markdown = SampleDocs.Command.Replace("```powershell\nSet-Thing -Name a\n```", "Set-Thing -Name a");

        var e = Assert.Throws<HelpFormatException>(() => CommandMarkdownReader.Read(markdown, "x.md"));

        Assert.Contains("Example 1: Set one", e.Message);
    }

    [Fact]
    public void AFileWithoutPlatyPSHeaderIsNoCommandFile()
    {
        Assert.True(CommandMarkdownReader.IsCommandFile(SampleDocs.Command));
        Assert.False(CommandMarkdownReader.IsCommandFile(SampleDocs.About));
    }
}
