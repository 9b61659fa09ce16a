using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>
/// Edits page-table entries, as the guest kernel edits its PTEs: with -Offset and -Protection it
/// maps the pages, with -Protection alone it changes the protection of the present ones, with
/// -Unmap it takes the present ones away. Only marks them dirty: Sync-VmRange runs the host ops.
/// Binds by property name, so rows of a CSV file (Address, Length, Offset, Protection, Unmap) pipe in.
/// </summary>
[Cmdlet(VerbsCommon.Set, "VmPage")]
public sealed class SetVmPageCommand : PSCmdlet
{
    #region Parameters

    /// <summary>The table to edit (from New-VmPageTable).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    public VmPageTable PageTable { get; set; } = null!;

    /// <summary>Page-aligned start address, a number or a hex string ('0x7f0000').</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong Address { get; set; }

    /// <summary>Whole pages, in bytes.</summary>
    [Parameter(Mandatory = true, Position = 2, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong Length { get; set; }

    /// <summary>Maps the pages from this page-aligned offset of the physical-memory file; needs -Protection.</summary>
    [Parameter(Position = 3, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation(BlankIsNull = true)]
    public ulong? Offset { get; set; }

    /// <summary>'rw-', 'r-x', '---', 'RW', 'Read,Write'; alone it changes the protection of the present pages.</summary>
    [Parameter(Position = 4, ValueFromPipelineByPropertyName = true)]
    [Alias("Prot")]
    [AllowEmptyString]
    [AllowNull]
    public string? Protection { get; set; }

    /// <summary>Takes the present pages away (pages the table does not hold stay as they are).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [SwitchTransformation]
    public SwitchParameter Unmap { get; set; }

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        bool hasProtection = !string.IsNullOrWhiteSpace(Protection);
        if (Unmap && (Offset is not null || hasProtection))
        {
            WriteError(Invalid($"-Unmap takes neither -Offset nor -Protection (got {(Offset is not null ? $"-Offset 0x{Offset:x}" : $"-Protection '{Protection}'")}).", "UnmapWithMapping"));
            return;
        }
        if (!Unmap && !hasProtection)
        {
            WriteError(Invalid(Offset is not null
                ? $"-Offset 0x{Offset:x} maps pages: give their -Protection too ('rw-', 'r--', '---')."
                : "Say what to do: -Offset and -Protection map the pages, -Protection alone protects them, -Unmap unmaps them.", "VmPageChangeMissing"));
            return;
        }
        var protection = VmProtection.None;
        if (hasProtection && !VmProtectionParser.TryParse(Protection, out protection))
        {
            WriteError(Errors.Rejected(new VmOpRejection(VmOpRejectionReason.UnknownProtection,
                $"-Protection '{Protection}' is not a protection: use letters as /proc/pid/maps shows them ('rw-', 'r-x', '---'), 'RW', or names ('Read,Write', 'None').",
                Protection!)));
            return;
        }
        try
        {
            if (Unmap)
            {
                PageTable.Unmap(Address, Length);
            }
            else if (Offset is { } offset)
            {
                PageTable.Map(Address, Length, offset, protection);
            }
            else
            {
                PageTable.Protect(Address, Length, protection);
            }
        }
        catch (VmOpRejectedException e)
        {
            WriteError(Errors.Rejected(e.Rejection));
        }
    }

    #endregion

    #region Private methods

    private ErrorRecord Invalid(string message, string id) =>
        new(new ArgumentException(message), id, ErrorCategory.InvalidArgument, new { Address, Length, Offset, Protection, Unmap = Unmap.IsPresent });

    #endregion
}
