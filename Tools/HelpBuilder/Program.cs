using UmlTlb.HelpBuilder;

// Usage: UmlTlb.HelpBuilder <docs folder> <output folder> <MAML file name>
// Reads every docs/*.md: cmdlet files (PlatyPS header) become one MAML file,
// about_*.md files become about_*.help.txt. Exit code 1 on any format error.
if (args.Length != 3)
{
    Console.Error.WriteLine("Usage: UmlTlb.HelpBuilder <docs folder> <output folder> <MAML file name>");
    return 2;
}
try
{
    var result = HelpFolder.Build(args[0], args[1], args[2]);
    Console.WriteLine($"Wrote help for {result.Commands} cmdlet(s) to {Path.Combine(args[1], args[2])} and {result.AboutTopics} about topic(s).");
    return 0;
}
catch (HelpFormatException e)
{
    Console.Error.WriteLine($"docs: {e.Message}");
    return 1;
}
