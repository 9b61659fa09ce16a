using System.Text;
using Markdig;
using Markdig.Syntax;

namespace UmlTlb.HelpBuilder;

/// <summary>
/// Turns an about topic's markdown ("# about_X", then "## SHORT DESCRIPTION",
/// "## LONG DESCRIPTION", ...) into the plain text of about_X.help.txt: headings
/// at the margin, text indented four columns and wrapped at 80, code as it is.
/// </summary>
internal static class AboutTopicWriter
{
    private const int Width = 80;
    private const string Indent = "    ";

    public static (string Name, string Text) Write(string markdown, string source)
    {
        var document = Markdown.Parse(markdown);
        var title = document.OfType<HeadingBlock>().FirstOrDefault(h => h.Level == 1);
        string name = title is null ? string.Empty : MarkdownText.Of(title.Inline);
        if (!name.StartsWith("about_", StringComparison.OrdinalIgnoreCase))
        {
            throw new HelpFormatException($"{source}: an about topic starts with '# about_Name'.");
        }
        var headings = document.OfType<HeadingBlock>().Where(h => h.Level == 2).Select(h => MarkdownText.Of(h.Inline).ToUpperInvariant()).ToList();
        if (!headings.Contains("SHORT DESCRIPTION") || !headings.Contains("LONG DESCRIPTION"))
        {
            throw new HelpFormatException($"{source}: an about topic needs the sections SHORT DESCRIPTION and LONG DESCRIPTION.");
        }

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(name).Append('\n');
        foreach (var block in document.Skip(document.IndexOf(title!) + 1))
        {
            switch (block)
            {
                case HeadingBlock { Level: 2 } h2:
                    text.Append('\n').Append(MarkdownText.Of(h2.Inline).ToUpperInvariant()).Append('\n');
                    break;
                case HeadingBlock h:
                    text.Append('\n').Append(Indent).Append(MarkdownText.Of(h.Inline).ToUpperInvariant()).Append('\n');
                    break;
                case CodeBlock code:
                    text.Append('\n');
                    foreach (var line in MarkdownText.Code(code).Split('\n'))
                    {
                        text.Append(Indent).Append(Indent).Append(line.TrimEnd('\r')).Append('\n');
                    }
                    break;
                case ListBlock list:
                    text.Append('\n');
                    foreach (var item in MarkdownText.Paragraphs(list))
                    {
                        int space = item.IndexOf(' ');
                        Wrap(text, item[(space + 1)..], Indent + item[..space] + " ", Indent + new string(' ', space + 1));
                    }
                    break;
                default:
                    foreach (var paragraph in MarkdownText.Paragraphs(block))
                    {
                        text.Append('\n');
                        Wrap(text, paragraph, Indent, Indent);
                    }
                    break;
            }
        }
        return (name, text.ToString());
    }

    /// <summary>Appends <paramref name="paragraph"/> wrapped at <see cref="Width"/> columns.</summary>
    internal static void Wrap(StringBuilder text, string paragraph, string firstIndent, string indent)
    {
        var line = new StringBuilder(firstIndent);
        bool empty = true;
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(indent);
                empty = true;
            }
            if (!empty)
            {
                line.Append(' ');
            }
            line.Append(word);
            empty = false;
        }
        text.Append(line).Append('\n');
    }
}
