using System.Management.Automation;
using UmlTlb.Binding;

namespace UmlTlb.Bench.Floor;

/// <summary>
/// PowerShell's own floor for the per-object pipeline: a cmdlet that binds exactly Add-VmOp's
/// parameters with the same attributes (so the same transformations run) and does nothing else
/// but pass an object on. Import-Csv | Add-BenchFloorOp | Invoke-BenchFloorFlush against
/// Import-Csv | Add-VmOp | Invoke-VmFlush tells what the module adds over PowerShell's binding.
/// Loaded by Bench/file-bench.ps1 (Import-Module of the bench assembly); never part of the module.
/// </summary>
[Cmdlet(VerbsCommon.Add, "BenchFloorOp")]
public sealed class AddBenchFloorOpCommand : PSCmdlet
{
    private static readonly object Passed = new();

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Type", "Kind", "Op")]
    [ArgumentCompleter(typeof(VmOpArgumentCompleter))]
    public string Operation { get; set; } = string.Empty;

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong? Address { get; set; }

    [Parameter(Position = 2, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation]
    public ulong? Length { get; set; }

    [Parameter(Position = 3, ValueFromPipelineByPropertyName = true)]
    [Alias("Prot")]
    [AllowEmptyString]
    [AllowNull]
    [ArgumentCompleter(typeof(VmOpArgumentCompleter))]
    public string? Protection { get; set; }

    [Parameter(Position = 4, ValueFromPipelineByPropertyName = true)]
    [NumberTransformation(BlankIsNull = true)]
    public ulong? Offset { get; set; }

    [Parameter(ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [StubTransformation]
    public StubProcess? Stub { get; set; }

    [Parameter]
    public SwitchParameter NoCoalesce { get; set; }

    protected override void ProcessRecord() => WriteObject(Passed);
}

/// <summary>The floor's second cmdlet: binds Invoke-VmFlush's pipeline parameter and does nothing.</summary>
[Cmdlet(VerbsLifecycle.Invoke, "BenchFloorFlush")]
public sealed class InvokeBenchFloorFlushCommand : PSCmdlet
{
    [Parameter(ValueFromPipeline = true)]
    public object? InputObject { get; set; }

    [Parameter]
    public SwitchParameter Summary { get; set; }

    protected override void ProcessRecord()
    {
    }
}
