using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// Creates an empty guest-side page table for a stub. Set-VmPage edits it; Sync-VmRange
/// turns its dirty entries into host ops, as UML's fix_range_common does.
/// </summary>
[Cmdlet(VerbsCommon.New, "VmPageTable")]
[OutputType(typeof(VmPageTable))]
public sealed class NewVmPageTableCommand : StubCommandBase
{
    protected override void ProcessRecord()
    {
        var stub = RequireStub();
        if (stub.State != StubState.Running)
        {
            WriteError(Errors.StubNotRunning(new StubExitedException(stub.Name, stub.Termination!), stub));
            return;
        }
        WriteObject(new VmPageTable(stub));
    }
}
