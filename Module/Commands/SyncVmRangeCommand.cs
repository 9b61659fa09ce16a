using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Commands;

/// <summary>
/// UML's fix_range_common: walks a page table's entries in [Start, End), queues a host op for
/// each dirty one (each one with -Force) with the seed's merging, flushes them through the stub
/// and marks clean what succeeded. Writes the flush's results, or its summary. With -Atomic a
/// failure undoes the whole sync. With -WhatIf it
/// shows the host ops and the change to the shadow, writes that preview, and runs nothing.
/// </summary>
[Cmdlet(VerbsData.Sync, "VmRange", SupportsShouldProcess = true)]
[OutputType(typeof(VmOpResult), typeof(VmRangeSyncSummary), typeof(VmFlushPreview))]
public sealed class SyncVmRangeCommand : PSCmdlet
{
    private const ulong PageMask = 4095;

    #region Parameters

    /// <summary>The table to sync (from New-VmPageTable).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true)]
    public VmPageTable PageTable { get; set; } = null!;

    /// <summary>First address of the range (page aligned); default 0.</summary>
    [Parameter]
    [NumberTransformation]
    public ulong Start { get; set; }

    /// <summary>End of the range, exclusive (page aligned); default the stub's UserAddressLimit.</summary>
    [Parameter]
    [NumberTransformation(BlankIsNull = true)]
    public ulong? End { get; set; }

    /// <summary>Every entry of the range, clean ones too, becomes a host op (present: mmap, removed: munmap).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>All or nothing: when an op fails, undo every op the sync ran (they come out RolledBack) and leave all its entries dirty.</summary>
    [Parameter]
    public SwitchParameter Atomic { get; set; }

    /// <summary>Write one VmRangeSyncSummary instead of a result per host op.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        var stub = PageTable.Stub;
        ulong end = End ?? stub.UserAddressLimit;
        if ((Start & PageMask) != 0 || (end & PageMask) != 0 || Start >= end)
        {
            WriteError(new ErrorRecord(
                new ArgumentException($"-Start 0x{Start:x} and -End 0x{end:x} must be page aligned with Start below End."),
                "VmRangeInvalid", ErrorCategory.InvalidArgument, new { Start, End = end }));
            return;
        }
        try
        {
            if (DryRun.Requested(this))
            {
                DryRun.Show(this, PageTable.PreviewSync(Start, end, Force));
                return;
            }
            if (!ShouldProcess($"stub '{stub.Name}', 0x{Start:x}-0x{end:x}", Force ? "Sync every page-table entry" : "Sync the dirty page-table entries"))
            {
                return;
            }
            var sync = PageTable.Sync(Start, end, Force, Atomic);
            foreach (var result in sync.Results)
            {
                if (!Summary)
                {
                    WriteObject(result);
                }
                if (result.Status == VmOpStatus.Failed)
                {
                    WriteError(Errors.SyscallFailed(result));
                }
            }
            if (Summary)
            {
                WriteObject(sync.Summary);
            }
            if (sync.Rollback.FirstOrDefault(r => r.Status != VmOpStatus.Succeeded) is { } undone)
            {
                WriteError(Errors.RollbackFailed(undone));
            }
        }
        catch (StubExitedException e)
        {
            WriteError(Errors.StubNotRunning(e, stub));
        }
    }

    #endregion
}
