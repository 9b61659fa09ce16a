using System.Text;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace UmlTlb.HelpBuilder;

/// <summary>Plain text of markdown blocks and inlines, as help text shows it (no markup).</summary>
internal static class MarkdownText
{
    public static string Of(Inline? inline)
    {
        var text = new StringBuilder();
        Append(text, inline);
        return text.ToString().Trim();
    }

    public static string Of(LeafBlock block) => block is CodeBlock code ? Code(code) : Of(block.Inline);

    /// <summary>A code block's lines, without the fences, trailing blank lines removed.</summary>
    public static string Code(CodeBlock block) => block.Lines.ToString().TrimEnd();

    /// <summary>The paragraphs a block stands for: one per paragraph, one per list item ("- item"), code as it is.</summary>
    public static IEnumerable<string> Paragraphs(Block block)
    {
        switch (block)
        {
            case ListBlock list:
                int number = 1;
                foreach (var item in list.OfType<ListItemBlock>())
                {
                    string bullet = list.IsOrdered ? $"{number++}." : "-";
                    string body = string.Join(" ", item.SelectMany(Paragraphs));
                    yield return $"{bullet} {body}";
                }
                break;
            case QuoteBlock quote:
                foreach (var inner in quote.SelectMany(Paragraphs))
                {
                    yield return inner;
                }
                break;
            case LeafBlock leaf:
                string text = Of(leaf);
                if (text.Length > 0)
                {
                    yield return text;
                }
                break;
        }
    }

    private static void Append(StringBuilder text, Inline? inline)
    {
        for (var current = inline; current is not null; current = current.NextSibling)
        {
            switch (current)
            {
                case LiteralInline literal:
                    text.Append(literal.Content.ToString());
                    break;
                case CodeInline code:
                    text.Append(code.Content);
                    break;
                case LineBreakInline:
                    text.Append(' ');
                    break;
                case AutolinkInline autolink:
                    text.Append(autolink.Url);
                    break;
                case HtmlEntityInline entity:
                    text.Append(entity.Transcoded.ToString());
                    break;
                case ContainerInline container:
                    Append(text, container.FirstChild);
                    break;
                default:
                    text.Append(current.ToString());
                    break;
            }
        }
    }
}
