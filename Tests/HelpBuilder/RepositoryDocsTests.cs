using System.Xml.Linq;

namespace UmlTlb.HelpBuilder.Tests;

/// <summary>The repository's own docs/ folder converts without a format error.</summary>
public class RepositoryDocsTests
{
    private static string DocsFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string docs = Path.Combine(dir.FullName, "docs");
            if (File.Exists(Path.Combine(dir.FullName, "build.ps1")) && Directory.Exists(docs))
            {
                return docs;
            }
        }
        throw new DirectoryNotFoundException("No docs/ folder above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void EveryFileOfDocsConverts()
    {
        string output = Path.Combine(Path.GetTempPath(), "umltlb-help-" + Guid.NewGuid().ToString("N"));
        try
        {
            var (commands, abouts) = HelpFolder.Build(DocsFolder(), output, "UmlTlb.dll-Help.xml");
            int commandFiles = Directory.GetFiles(DocsFolder(), "*-*.md").Length;

            Assert.Equal(commandFiles, commands);
            Assert.True(abouts >= 1);
            Assert.Equal(commands, XDocument.Load(Path.Combine(output, "UmlTlb.dll-Help.xml")).Root!.Elements().Count());
            Assert.True(File.Exists(Path.Combine(output, "about_UmlTlb.help.txt")));
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }
}
