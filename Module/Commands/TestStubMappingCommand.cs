using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>True when /proc/pid/maps shows the range mapped as stated, else false: for Should -BeTrue in users' tests.</summary>
[Cmdlet(VerbsDiagnostic.Test, "StubMapping")]
[OutputType(typeof(bool))]
public sealed class TestStubMappingCommand : StubMappingCheckCommandBase
{
    protected override void ProcessRecord()
    {
        var expectation = Expectation();
        if (Check(expectation) is { } result)
        {
            WriteVerbose($"Stub '{result.Stub.Name}', {expectation}: {result.Actual}.");
            WriteObject(result.IsMet);
        }
    }
}
