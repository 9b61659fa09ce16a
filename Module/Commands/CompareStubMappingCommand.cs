using System.Management.Automation;
using UmlTlb.Shadow;

namespace UmlTlb.Commands;

/// <summary>
/// Compares two snapshots of Get-StubMapping (of /proc or of the shadow, of one stub or two)
/// page range by page range, and writes one MappingChange per range that differs; nothing when
/// they are equal. How the kernel split its VMAs does not count.
/// </summary>
[Cmdlet(VerbsData.Compare, "StubMapping")]
[OutputType(typeof(MappingChange))]
public sealed class CompareStubMappingCommand : PSCmdlet
{
    #region Parameters

    /// <summary>The earlier snapshot; an empty array for an empty address space.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [AllowEmptyCollection]
    public MemoryMapping[] Before { get; set; } = [];

    /// <summary>The later snapshot.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [AllowEmptyCollection]
    public MemoryMapping[] After { get; set; } = [];

    #endregion

    #region Method overrides

    protected override void EndProcessing()
    {
        List<MappingChange> changes;
        try
        {
            changes = MappingDiff.Compare(Check(Before, nameof(Before)), Check(After, nameof(After)));
        }
        catch (ArgumentException e)
        {
            ThrowTerminatingError(new ErrorRecord(e, "MappingsOverlap", ErrorCategory.InvalidArgument, null));
            return;
        }
        WriteObject(changes, enumerateCollection: true);
    }

    #endregion

    #region Private methods

    private MemoryMapping[] Check(MemoryMapping[] mappings, string parameter)
    {
        if (mappings.Any(m => m is null))
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-{parameter} holds a null entry: pass the output of Get-StubMapping."),
                "NullMapping", ErrorCategory.InvalidArgument, parameter));
        }
        return mappings;
    }

    #endregion
}
