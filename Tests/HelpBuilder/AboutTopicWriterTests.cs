namespace UmlTlb.HelpBuilder.Tests;

public class AboutTopicWriterTests
{
    [Fact]
    public void WritesTheTopicWithHeadingsAtTheMarginAndTextIndented()
    {
        var (name, text) = AboutTopicWriter.Write(SampleDocs.About, "about_Sample.md");
        var lines = text.Split('\n');

        Assert.Equal("about_Sample", name);
        Assert.Equal(["TOPIC", "    about_Sample"], lines[..2]);
        Assert.Contains("SHORT DESCRIPTION", lines);
        Assert.Contains("    Short.", lines);
        Assert.Contains("    A HEADING", lines);
        Assert.Contains("    - an item", lines);
        Assert.Contains("        Get-Thing | Set-Thing", lines);
    }

    [Fact]
    public void WrapsParagraphsAtEightyColumns()
    {
        var (_, text) = AboutTopicWriter.Write(SampleDocs.About, "about_Sample.md");
        var paragraph = text.Split('\n').SkipWhile(l => !l.StartsWith("    This paragraph", StringComparison.Ordinal)).TakeWhile(l => l.Length > 0).ToList();

        Assert.Equal(2, paragraph.Count);
        Assert.All(paragraph, l => Assert.True(l.Length <= 80, l));
        Assert.All(paragraph, l => Assert.StartsWith("    ", l));
    }

    [Fact]
    public void ATopicWithoutLongDescriptionIsRefused()
    {
        string markdown = SampleDocs.About.Replace("## LONG DESCRIPTION", "## MORE");

        var e = Assert.Throws<HelpFormatException>(() => AboutTopicWriter.Write(markdown, "about_Sample.md"));

        Assert.Contains("LONG DESCRIPTION", e.Message);
    }
}
