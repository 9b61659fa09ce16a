namespace UmlTlb.HelpBuilder;

/// <summary>A docs file that does not follow the PlatyPS schema; the message says where and why.</summary>
internal sealed class HelpFormatException(string message) : Exception(message);
