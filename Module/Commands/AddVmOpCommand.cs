using System.Management.Automation;
using UmlTlb.Binding;
using UmlTlb.Lifetime;

namespace UmlTlb.Commands;

/// <summary>
/// Queues mmap/munmap/mprotect ops for a stub, merging each into the op queued
/// before it when the 2005 rules allow. Runs nothing: Invoke-VmFlush does.
/// </summary>
[Cmdlet(VerbsCommon.Add, "VmOp")]
[OutputType(typeof(VmOp))]
public sealed class AddVmOpCommand : StubCommandBase, IDisposable
{
    private VmOpOwner? _owner;
    private readonly Dictionary<StubProcess, long> _firstQueued = new();
    private bool _ended;

    // One parameter set on purpose: with two, PowerShell binds every piped object to the
    // default set first and falls back to the other, which costs about 14 µs per object.

    #region Parameters

    /// <summary>Mmap, Munmap or Mprotect (any case); required unless a VmOp is piped in.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Type", "Kind", "Op")]
    [ArgumentCompleter(typeof(VmOpArgumentCompleter))]
    public string Operation { get; set; } = string.Empty;

    /// <summary>Page-aligned start address, a number or a hex string ('0x7f0000'); required unless a VmOp is piped in.</summary>
    /// <remarks>Nullable so that a missing address is an error, not 0; $null and '' fail in the binding.</remarks>
    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong? Address { get; set; }

    /// <summary>Whole pages, in bytes; required unless a VmOp is piped in.</summary>
    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong? Length { get; set; }

    /// <summary>For Mmap and Mprotect: 'rw-', 'r-x', '---', 'RW', 'Read,Write'; empty is none.</summary>
    [Parameter(Position = 3, ValueFromPipelineByPropertyName = true)]
    [Alias("Prot")]
    [AllowEmptyString]
    [AllowNull]
    [ArgumentCompleter(typeof(VmOpArgumentCompleter))]
    public string? Protection { get; set; }

    /// <summary>
    /// For Mmap: page-aligned offset into the stub's physical-memory file; 0 when not given.
    /// Munmap and Mprotect ignore it, so a blank CSV cell is fine for them, an error for Mmap.
    /// </summary>
    [Parameter(Position = 4, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation(BlankIsNull = true)]
    public ulong? Offset { get; set; }

    /// <summary>
    /// The piped object. A VmOp (from Get-VmOp, a script, another stub) is queued as it is;
    /// any other object (an Import-Csv row) gives its properties to the parameters above.
    /// </summary>
    [Parameter(ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    /// <summary>The stub whose queue gets the op.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [StubTransformation]
    [ArgumentCompleter(typeof(StubArgumentCompleter))]
    public override StubProcess? Stub { get; set; }

    /// <summary>Queue every op as its own host op, never merged.</summary>
    [Parameter]
    public SwitchParameter NoCoalesce { get; set; }

    #endregion

    #region Method overrides

    private bool _offsetOnCommandLine;

    protected override void BeginProcessing()
    {
        // Only what the command line bound is in BoundParameters now; piped values come later.
        _offsetOnCommandLine = MyInvocation.BoundParameters.ContainsKey(nameof(Offset));
    }

    protected override void ProcessRecord()
    {
        try
        {
            Queue();
        }
        catch (Exception e)
        {
            // The pipeline ends here (an error with -ErrorAction Stop, a downstream stop, Ctrl+C):
            // what it queued must not run later under another pipeline's name.
            Abandon(e);
            throw;
        }
    }

    protected override void EndProcessing() => _ended = true;

    /// <summary>Disposed without EndProcessing: the pipeline ended early elsewhere (an upstream error).</summary>
    public void Dispose()
    {
        if (!_ended)
        {
            Abandon(null);
        }
    }

    #endregion

    #region Private methods

    private void Abandon(Exception? why)
    {
        _ended = true;
        // Only what this command queued: the runspace's standalone owner may hold older ops.
        long discarded = 0;
        foreach (var (stub, first) in _firstQueued)
        {
            discarded += _owner!.DiscardPending(stub, first);
        }
        if (discarded > 0)
        {
            ReportDiscarded(discarded, why);
        }
    }

    private void Queue()
    {
        var given = (InputObject as PSObject)?.BaseObject as VmOp ?? InputObject as VmOp;
        var op = given is not null ? CopyOf(given) : FromFields();
        if (op is null)
        {
            return;
        }
        var stub = Stub ?? given?.Stub ?? RequireStub();

        if (stub.State != StubState.Running)
        {
            WriteError(Errors.StubNotRunning(new StubExitedException(stub.Name, stub.Termination!), stub));
            return;
        }
        try
        {
            _owner ??= PipelineOwners.ForQueue(this);
            var queued = stub.Enqueue(op, coalesce: !NoCoalesce, _owner);
            _firstQueued.TryAdd(stub, queued.HostSequence);
        }
        catch (VmOpRejectedException e)
        {
            WriteError(Errors.Rejected(e.Rejection));
            return;
        }
        if (op.Coalesced)
        {
            WriteVerbose($"{op} merged into host op #{op.HostOp} of stub '{stub.Name}'.");
        }
        WriteObject(op);
    }

    private static VmOp CopyOf(VmOp op) => new()
    {
        Operation = op.Operation, Address = op.Address, Length = op.Length, Protection = op.Protection, Offset = op.Offset,
    };

    /// <summary>The op the field parameters describe, or null after reporting an unknown operation or protection.</summary>
    private VmOp? FromFields()
    {
        if (string.IsNullOrWhiteSpace(Operation))
        {
            WriteError(Errors.Rejected(new VmOpRejection(VmOpRejectionReason.UnknownOperation,
                VmOpFieldParser.MissingOperationError, InputObject ?? Operation)));
            return null;
        }
        if (!VmOpFieldParser.TryParseOperation(Operation, out var kind))
        {
            WriteError(Errors.Rejected(new VmOpRejection(VmOpRejectionReason.UnknownOperation,
                VmOpFieldParser.OperationError(Operation), Operation)));
            return null;
        }
        // A missing number is an error, never 0: $null would otherwise map page 0.
        if (Address is null || Length is null)
        {
            WriteError(Errors.FieldMissing(Address is null ? nameof(Address) : nameof(Length), InputObject));
            return null;
        }
        if (kind == VmOpKind.Mmap && Offset is null && (_offsetOnCommandLine || HasProperty(InputObject, nameof(Offset))))
        {
            WriteError(Errors.FieldMissing(nameof(Offset), InputObject));
            return null;
        }
        var protection = VmProtection.None;
        if (!string.IsNullOrWhiteSpace(Protection) && !VmProtectionParser.TryParse(Protection, out protection))
        {
            WriteError(Errors.Rejected(new VmOpRejection(VmOpRejectionReason.UnknownProtection,
                $"'{Protection}' is not a protection: use letters as /proc/pid/maps shows them ('rw-', 'r-x', '---'), 'RW', or names ('Read,Write', 'None').",
                Protection)));
            return null;
        }
        return new VmOp { Operation = kind, Address = Address.Value, Length = Length.Value, Protection = protection, Offset = Offset ?? 0 };
    }

    private static bool HasProperty(object? input, string name) =>
        input is PSObject pso && pso.Properties[name] is not null;

    #endregion
}
