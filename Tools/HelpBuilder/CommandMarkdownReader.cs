using Markdig;
using Markdig.Extensions.Yaml;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace UmlTlb.HelpBuilder;

/// <summary>
/// Reads one cmdlet's markdown in PlatyPS's schema 2.0.0: a yaml header, "# Verb-Noun",
/// then the sections SYNOPSIS, SYNTAX, DESCRIPTION, EXAMPLES, PARAMETERS, INPUTS,
/// OUTPUTS, NOTES and RELATED LINKS, each an H2, in that order.
/// </summary>
internal static class CommandMarkdownReader
{
    public static readonly string[] Sections =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseYamlFrontMatter().Build();

    /// <summary>True for a file with a PlatyPS command header (about topics have none).</summary>
    public static bool IsCommandFile(string markdown) =>
        Markdown.Parse(markdown, Pipeline).FirstOrDefault() is YamlFrontMatterBlock header
        && header.Lines.ToString().Contains("external help file:", StringComparison.Ordinal);

    public static CommandHelp Read(string markdown, string source)
    {
        try
        {
            return ReadDocument(Markdown.Parse(markdown, Pipeline));
        }
        catch (HelpFormatException e)
        {
            throw new HelpFormatException($"{source}: {e.Message}");
        }
    }

    private static CommandHelp ReadDocument(MarkdownDocument document)
    {
        var header = ReadHeader(document);
        var title = document.OfType<HeadingBlock>().FirstOrDefault(h => h.Level == 1)
            ?? throw new HelpFormatException("no '# Verb-Noun' title.");
        string name = MarkdownText.Of(title.Inline);

        var sections = SplitSections(document);
        var missing = Sections.Where(s => !sections.ContainsKey(s)).ToList();
        if (missing.Count > 0)
        {
            throw new HelpFormatException($"missing section(s): {string.Join(", ", missing)}.");
        }
        var order = sections.Keys.ToList();
        if (!order.SequenceEqual(Sections))
        {
            throw new HelpFormatException($"sections out of order or unknown: {string.Join(", ", order)}.");
        }

        string synopsis = string.Join(" ", sections["SYNOPSIS"].SelectMany(MarkdownText.Paragraphs));
        if (synopsis.Length == 0)
        {
            throw new HelpFormatException("SYNOPSIS is empty.");
        }
        return new CommandHelp(
            name,
            synopsis,
            Paragraphs(sections["DESCRIPTION"]),
            ReadParameterSets(sections["SYNTAX"]),
            ReadExamples(sections["EXAMPLES"]),
            ReadParameters(sections["PARAMETERS"]),
            ReadTypes(sections["INPUTS"]),
            ReadTypes(sections["OUTPUTS"]),
            Paragraphs(sections["NOTES"]),
            ReadLinks(sections["RELATED LINKS"]),
            header.GetValueOrDefault("online version"));
    }

    private static Dictionary<string, string> ReadHeader(MarkdownDocument document)
    {
        if (document.FirstOrDefault() is not YamlFrontMatterBlock block)
        {
            throw new HelpFormatException("no yaml header.");
        }
        var header = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in block.Lines.ToString().Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && !line.TrimStart().StartsWith("---", StringComparison.Ordinal))
            {
                header[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
        }
        if (header.GetValueOrDefault("schema") != "2.0.0")
        {
            throw new HelpFormatException("the yaml header must say 'schema: 2.0.0'.");
        }
        return header;
    }

    /// <summary>The blocks under each H2, by the H2's text.</summary>
    private static Dictionary<string, List<Block>> SplitSections(MarkdownDocument document)
    {
        var sections = new Dictionary<string, List<Block>>();
        List<Block>? current = null;
        foreach (var block in document)
        {
            if (block is HeadingBlock { Level: 2 } h2)
            {
                string title = MarkdownText.Of(h2.Inline).ToUpperInvariant();
                if (sections.ContainsKey(title))
                {
                    throw new HelpFormatException($"section {title} appears twice.");
                }
                current = sections[title] = new List<Block>();
            }
            else if (block is HeadingBlock { Level: 1 } or YamlFrontMatterBlock)
            {
                continue;
            }
            else
            {
                current?.Add(block);
            }
        }
        return sections;
    }

    /// <summary>The blocks under each H3 of a section, in order.</summary>
    private static List<(string Title, List<Block> Blocks)> SplitSubsections(List<Block> blocks)
    {
        var result = new List<(string, List<Block>)>();
        foreach (var block in blocks)
        {
            if (block is HeadingBlock { Level: 3 } h3)
            {
                result.Add((MarkdownText.Of(h3.Inline), new List<Block>()));
            }
            else if (result.Count > 0)
            {
                result[^1].Item2.Add(block);
            }
        }
        return result;
    }

    private static List<string> Paragraphs(IEnumerable<Block> blocks) => blocks.SelectMany(MarkdownText.Paragraphs).ToList();

    /// <summary>SYNTAX's H3s name the parameter sets ("Name (Default)"); without H3 there is one set, "(All)".</summary>
    private static List<string> ReadParameterSets(List<Block> blocks)
    {
        var sets = SplitSubsections(blocks)
            .Select(s => s.Title.Replace("(Default)", string.Empty, StringComparison.Ordinal).Trim())
            .ToList();
        return sets.Count > 0 ? sets : ["(All)"];
    }

    private static List<ExampleHelp> ReadExamples(List<Block> blocks)
    {
        var examples = new List<ExampleHelp>();
        foreach (var (title, body) in SplitSubsections(blocks))
        {
            var code = body.OfType<FencedCodeBlock>()
                .Where(c => c.Info is "powershell" or "PowerShell" or "pwsh")
                .Select(MarkdownText.Code)
                .ToList();
            if (code.Count == 0)
            {
                throw new HelpFormatException($"example '{title}' has no ```powershell block.");
            }
            // Text and output blocks are the remarks, in order; the code is the powershell blocks.
            var remarks = body.Where(b => b is not FencedCodeBlock f || !(f.Info is "powershell" or "PowerShell" or "pwsh"))
                .SelectMany(MarkdownText.Paragraphs)
                .ToList();
            examples.Add(new ExampleHelp(title, string.Join(Environment.NewLine + Environment.NewLine, code), remarks));
        }
        if (examples.Count == 0)
        {
            throw new HelpFormatException("EXAMPLES has no example (an H3 with a ```powershell block).");
        }
        return examples;
    }

    private static List<ParameterHelp> ReadParameters(List<Block> blocks)
    {
        var parameters = new List<ParameterHelp>();
        foreach (var (title, body) in SplitSubsections(blocks))
        {
            if (title.Equals("CommonParameters", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            if (!title.StartsWith('-'))
            {
                throw new HelpFormatException($"parameter heading '{title}' must be '### -Name'.");
            }
            string name = title[1..];
            var yaml = body.OfType<FencedCodeBlock>().Where(c => c.Info == "yaml").ToList();
            if (yaml.Count == 0)
            {
                throw new HelpFormatException($"-{name} has no ```yaml block.");
            }
            var fields = ParameterBlock.Read(MarkdownText.Code(yaml[0]), name);
            var sets = yaml.SelectMany(y => ParameterBlock.List(ParameterBlock.Read(MarkdownText.Code(y), name)["Parameter Sets"])).Distinct().ToList();
            var description = Paragraphs(body.Where(b => b is not FencedCodeBlock { Info: "yaml" }));
            if (description.Count == 0)
            {
                throw new HelpFormatException($"-{name} has no description.");
            }
            parameters.Add(new ParameterHelp(
                name,
                description,
                fields["Type"],
                sets,
                ParameterBlock.List(fields["Aliases"]),
                ParameterBlock.Flag(fields["Required"], "Required", name),
                fields["Position"],
                fields["Default value"],
                fields["Accept pipeline input"],
                ParameterBlock.Flag(fields["Accept wildcard characters"], "Accept wildcard characters", name)));
        }
        return parameters;
    }

    /// <summary>INPUTS and OUTPUTS: an H3 per type, its text below.</summary>
    private static List<TypeHelp> ReadTypes(List<Block> blocks) =>
        SplitSubsections(blocks).Select(s => new TypeHelp(s.Title, Paragraphs(s.Blocks))).ToList();

    private static List<LinkHelp> ReadLinks(List<Block> blocks)
    {
        var links = new List<LinkHelp>();
        foreach (var block in blocks.OfType<ListBlock>().SelectMany(l => l).OfType<ListItemBlock>().SelectMany(i => i).OfType<ParagraphBlock>())
        {
            foreach (var link in block.Inline?.Descendants<LinkInline>() ?? [])
            {
                links.Add(new LinkHelp(MarkdownText.Of(link.FirstChild), link.Url ?? string.Empty));
            }
        }
        foreach (var block in blocks.OfType<ParagraphBlock>())
        {
            foreach (var link in block.Inline?.Descendants<LinkInline>() ?? [])
            {
                links.Add(new LinkHelp(MarkdownText.Of(link.FirstChild), link.Url ?? string.Empty));
            }
        }
        return links;
    }
}
