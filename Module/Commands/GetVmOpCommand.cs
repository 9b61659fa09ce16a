using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>Lists a stub's pending host ops, oldest first.</summary>
[Cmdlet(VerbsCommon.Get, "VmOp")]
[OutputType(typeof(VmOp))]
public sealed class GetVmOpCommand : StubCommandBase
{
    protected override void ProcessRecord() => WriteObject(RequireStub().GetPendingOperations(), enumerateCollection: true);
}
