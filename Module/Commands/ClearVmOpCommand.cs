using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>Discards a stub's pending ops without running them.</summary>
[Cmdlet(VerbsCommon.Clear, "VmOp", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(void))]
public sealed class ClearVmOpCommand : StubCommandBase
{
    protected override void ProcessRecord()
    {
        var stub = RequireStub();
        int pending = stub.PendingOperations;
        if (ShouldProcess($"{stub.Name} (Id {stub.Id})", $"Discard {pending} pending host op(s)"))
        {
            int dropped = stub.ClearPendingOperations();
            WriteVerbose($"Discarded {dropped} pending host op(s) of stub '{stub.Name}'.");
        }
    }
}
