using System.Text;

namespace UmlTlb.HelpBuilder;

/// <summary>Builds the help of a whole docs folder.</summary>
internal static class HelpFolder
{
    public static (int Commands, int AboutTopics) Build(string docs, string output, string mamlName)
    {
        var files = Directory.GetFiles(docs, "*.md").Order(StringComparer.Ordinal).ToList();
        var commands = new List<CommandHelp>();
        var abouts = new List<(string Name, string Text)>();
        foreach (var file in files)
        {
            string markdown = File.ReadAllText(file);
            if (Path.GetFileName(file).StartsWith("about_", StringComparison.OrdinalIgnoreCase))
            {
                abouts.Add(AboutTopicWriter.Write(markdown, file));
            }
            else if (CommandMarkdownReader.IsCommandFile(markdown))
            {
                var help = CommandMarkdownReader.Read(markdown, file);
                if (!Path.GetFileNameWithoutExtension(file).Equals(help.Name, StringComparison.Ordinal))
                {
                    throw new HelpFormatException($"{file}: its title is '{help.Name}'; a cmdlet's file is named after it.");
                }
                commands.Add(help);
            }
        }
        Directory.CreateDirectory(output);
        MamlWriter.Write(commands).Save(Path.Combine(output, mamlName));
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        foreach (var (name, text) in abouts)
        {
            File.WriteAllText(Path.Combine(output, name + ".help.txt"), text, utf8);
        }
        return (commands.Count, abouts.Count);
    }
}
