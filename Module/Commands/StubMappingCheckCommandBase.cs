using System.Management.Automation;
using UmlTlb.Binding;
using UmlTlb.Views;

namespace UmlTlb.Commands;

/// <summary>The parameters Test-StubMapping and Assert-StubMapping share, and the one engine call they make.</summary>
public abstract class StubMappingCheckCommandBase : StubCommandBase
{
    #region Parameters

    /// <summary>Start of the range to check.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [NumberTransformation]
    public ulong Address { get; set; }

    /// <summary>Length of the range to check, in bytes.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [NumberTransformation]
    public ulong Length { get; set; }

    /// <summary>The protection every mapping in the range must have ('rw-', 'r--', 'RW', 'Read,Write', '---').</summary>
    [Parameter(Position = 2)]
    [ArgumentCompleter(typeof(VmOpArgumentCompleter))]
    public string? Protection { get; set; }

    /// <summary>The physical-memory offset the range must map from, continuing across the range.</summary>
    [Parameter]
    [NumberTransformation]
    public ulong Offset { get; set; }

    #endregion

    #region Private methods

    /// <summary>The expectation the parameters state; a terminating error for a bad value.</summary>
    protected MappingExpectation Expectation()
    {
        if (Length == 0 || Address + Length < Address)
        {
            ThrowTerminatingError(new ErrorRecord(
                new ArgumentException($"-Length 0x{Length:x} from -Address 0x{Address:x} is not a range: give a length above 0 that does not wrap."),
                "InvalidRange", ErrorCategory.InvalidArgument, Length));
        }
        VmProtection? protection = null;
        if (Protection is not null)
        {
            if (!VmProtectionParser.TryParse(Protection, out var parsed))
            {
                ThrowTerminatingError(new ErrorRecord(
                    new ArgumentException($"-Protection '{Protection}' is not a protection: use letters as /proc/pid/maps shows them ('rw-', 'r-x', '---'), 'RW', or names ('Read,Write', 'None')."),
                    "UnknownProtection", ErrorCategory.InvalidArgument, Protection));
            }
            protection = parsed;
        }
        ulong? offset = MyInvocation.BoundParameters.ContainsKey(nameof(Offset)) ? Offset : null;
        return new MappingExpectation(Address, Length, protection, offset);
    }

    /// <summary>Checks the expectation in the stub; null after reporting that the stub is gone.</summary>
    protected (bool IsMet, string Actual, StubProcess Stub)? Check(MappingExpectation expectation)
    {
        var stub = RequireStub();
        try
        {
            bool met = stub.MeetsMapping(expectation, out string actual);
            return (met, actual, stub);
        }
        catch (StubExitedException e)
        {
            WriteError(Errors.StubNotRunning(e, stub));
            return null;
        }
    }

    #endregion
}
