using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// Throws unless /proc/pid/maps shows the range mapped as stated; the message says
/// what is mapped there instead, so a failing Pester test explains itself.
/// </summary>
[Cmdlet(VerbsLifecycle.Assert, "StubMapping")]
[OutputType(typeof(void))]
public sealed class AssertStubMappingCommand : StubMappingCheckCommandBase
{
    protected override void ProcessRecord()
    {
        var expectation = Expectation();
        if (Check(expectation) is { IsMet: false } result)
        {
            ThrowTerminatingError(new ErrorRecord(
                new InvalidOperationException($"Expected {expectation} in stub '{result.Stub.Name}', but /proc/{result.Stub.ProcessId}/maps shows: {result.Actual}."),
                "StubMappingMismatch", ErrorCategory.InvalidResult, expectation));
        }
    }
}
