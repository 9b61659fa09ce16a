using System.Management.Automation;

namespace UmlTlb.Commands;

/// <summary>The module's ErrorRecords, one factory per ErrorId, so that ids and categories stay consistent.</summary>
internal static class Errors
{
    public static ErrorRecord NoStub() => new(
        new InvalidOperationException("No stub process is running in this session: start one with Start-StubProcess, or pass -Stub."),
        "NoStubProcess", ErrorCategory.ObjectNotFound, null);

    public static ErrorRecord StubNotRunning(StubExitedException e, StubProcess? stub) =>
        new(e, "StubNotRunning", ErrorCategory.ResourceUnavailable, stub);

    public static ErrorRecord StubStartFailed(Exception e, string? name) => e switch
    {
        DuplicateStubNameException => new(e, "StubNameInUse", ErrorCategory.ResourceExists, name),
        StubArchitectureNotSupportedException a => new(e, "StubArchitectureNotSupported", ErrorCategory.NotEnabled, a.Architecture),
        _ => new(e, "StubStartFailed", ErrorCategory.OpenError, name),
    };

    public static ErrorRecord Rejected(VmOpRejection rejection) =>
        new(new VmOpRejectedException(rejection), rejection.Reason.ToString(), ErrorCategory.InvalidArgument, rejection.OffendingValue);

    /// <summary>
    /// Address or Length was not given, or an Mmap's Offset was blank; for a piped object,
    /// says which properties it had.
    /// </summary>
    public static ErrorRecord FieldMissing(string parameter, object? input)
    {
        string had = input is PSObject pso && pso.BaseObject is not VmOp
            ? $" The piped {pso.BaseObject.GetType().Name} has the properties: {string.Join(", ", pso.Properties.Select(p => p.Name))}."
            : string.Empty;
        string what = parameter == nameof(VmOp.Offset)
            ? VmOpFieldParser.BlankMmapOffsetError
            : VmOpFieldParser.MissingNumberError(parameter);
        return new(new ArgumentException(what + had, parameter), "VmOpFieldMissing", ErrorCategory.InvalidArgument, input);
    }

    public static ErrorRecord SyscallFailed(VmOpResult result) => new(
        new InvalidOperationException(
            $"{result.Operation} 0x{result.Address:x}-0x{result.End:x} failed in stub '{result.Stub.Name}': {result.Errno} ({Native.Errno.Message((int)-result.Result)})."),
        "StubSyscallFailed", ErrorCategory.InvalidResult, result);

    public static ErrorRecord NotQueued(VmOp op) => new(
        new InvalidOperationException($"{op} was never queued: pass it through Add-VmOp first."),
        "VmOpNotQueued", ErrorCategory.InvalidOperation, op);

    public static ErrorRecord NotAVmOp(object? input) => new(
        new ArgumentException($"Invoke-VmFlush takes VmOp objects (from Add-VmOp) or stubs from the pipeline, not {input?.GetType().Name ?? "null"}."),
        "NotAVmOp", ErrorCategory.InvalidType, input);

    public static ErrorRecord NotPending(VmOp op) => new(
        new InvalidOperationException($"{op} (host op #{op.HostOp}) was discarded (Clear-VmOp, Stop-StubProcess or a pipeline that ended early) in stub '{op.Stub?.Name}' and never ran."),
        "VmOpNotPending", ErrorCategory.InvalidOperation, op);

    public static ErrorRecord Unmapped(Views.UnmappedMemoryException e) =>
        new(e, "StubMemoryUnmapped", ErrorCategory.ReadError, e.Address);

    public static ErrorRecord OutOfRange(Exception e, object target) =>
        new(e, "PhysicalMemoryOutOfRange", ErrorCategory.InvalidArgument, target);

    public static ErrorRecord BadRow(Sources.SourceRowError error) =>
        new(new InvalidDataException(error.Message), error.Reason, ErrorCategory.InvalidData, error);

    public static ErrorRecord FileNotFound(string path, string message, bool literal) =>
        new(new FileNotFoundException(message, path), literal ? "LiteralPathNotFound" : "PathNotFound", ErrorCategory.ObjectNotFound, path);

    public static ErrorRecord ProcessIdNeedsStrace(int processId, Sources.VmOpSourceFormat format) => new(
        new ArgumentException($"-ProcessId {processId} picks a process of a recorded trace: use it with -Format Strace, not {format}.", "ProcessId"),
        "ProcessIdNeedsStrace", ErrorCategory.InvalidArgument, processId);

    public static ErrorRecord RollbackFailed(VmOpResult inverse) => new(
        new InvalidOperationException(
            $"Rolling back an atomic flush of stub '{inverse.Stub.Name}' failed at {inverse.Operation} 0x{inverse.Address:x}-0x{inverse.End:x} ({inverse.Status} {inverse.Errno}): the address space is not as it was before the flush. Test-StubShadow shows where."),
        "RollbackFailed", ErrorCategory.InvalidResult, inverse);
}
