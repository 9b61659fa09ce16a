using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Runtime.CompilerServices;

namespace UmlTlb.Lifetime;

/// <summary>
/// Who owns the ops Add-VmOp queues (<see cref="VmOpOwner"/>):
/// <list type="bullet">
/// <item>a pipeline with an Invoke-VmFlush downstream (Add-VmOp | Invoke-VmFlush) owns its ops:
/// that flush writes their results, wherever they ran, and nobody else sees them;</item>
/// <item>every other Add-VmOp (alone, | Out-Null, $ops = ...) queues for its runspace's standalone
/// owner: an Invoke-VmFlush without pipeline input in that runspace writes their results. Their ops
/// merge with each other as in the 2005 queue; never with another owner's.</item>
/// </list>
/// Commands of one pipeline find each other through PowerShell's pipeline processor, which
/// they share; where it cannot be read, every Add-VmOp queues for its runspace.
/// </summary>
internal static class PipelineOwners
{
    private static readonly ConditionalWeakTable<object, VmOpOwner> ByPipeline = new();
    private static readonly ConditionalWeakTable<Runspace, VmOpOwner> ByRunspace = new();
    private static readonly VmOpOwner NoRunspace = new("ops queued outside any runspace");

    // Internal to PowerShell, read once: the object that runs one pipeline, shared by its commands.
    private static readonly PropertyInfo? PipelineProcessor = typeof(PSCmdlet).Assembly
        .GetType("System.Management.Automation.MshCommandRuntime")
        ?.GetProperty("PipelineProcessor", BindingFlags.NonPublic | BindingFlags.Instance);

    /// <summary>The owner Invoke-VmFlush (with commands before it) creates for its pipeline, in BeginProcessing.</summary>
    public static VmOpOwner? ForFlushPipeline(PSCmdlet flush)
    {
        if (PipelineOf(flush) is not { } pipeline)
        {
            return null;
        }
        return ByPipeline.GetValue(pipeline, _ =>
            new VmOpOwner($"the pipeline of Invoke-VmFlush (line {flush.MyInvocation.ScriptLineNumber}) in runspace {Runspace.DefaultRunspace?.Id}"));
    }

    /// <summary>The owner of the ops Add-VmOp queues: its pipeline's, if a flush there made one, else its runspace's.</summary>
    public static VmOpOwner ForQueue(PSCmdlet add) =>
        PipelineOf(add) is { } pipeline && ByPipeline.TryGetValue(pipeline, out var owner) ? owner : Standalone();

    /// <summary>This runspace's owner of the ops queued with no flush in their pipeline.</summary>
    public static VmOpOwner Standalone() =>
        Runspace.DefaultRunspace is { } runspace
            ? ByRunspace.GetValue(runspace, r => new VmOpOwner($"ops queued alone in runspace {r.Id}"))
            : NoRunspace;

    private static object? PipelineOf(Cmdlet cmdlet)
    {
        try
        {
            return PipelineProcessor?.GetValue(cmdlet.CommandRuntime);
        }
        catch (Exception e) when (e is TargetException or TargetInvocationException or ArgumentException)
        {
            return null;
        }
    }
}
