using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>
/// Compares a stub's shadow with /proc/pid/maps below UserAddressLimit and writes one
/// MappingChange per range where they differ (Before: the shadow, After: /proc); nothing when they agree.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "StubShadow")]
[OutputType(typeof(MappingChange))]
public sealed class TestStubShadowCommand : StubCommandBase
{
    protected override void ProcessRecord() =>
        WithStub(RequireStub(), stub => WriteObject(stub.CompareWithShadow(), enumerateCollection: true));
}
