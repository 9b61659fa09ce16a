using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>A stub's counters: the 2005 single_count, multi_count, multi_op_count, and more.</summary>
[Cmdlet(VerbsCommon.Get, "StubStatistics")]
[OutputType(typeof(StubStatistics))]
public sealed class GetStubStatisticsCommand : StubCommandBase
{
    protected override void ProcessRecord() => WriteObject(RequireStub().GetStatistics());
}
