using System.Management.Automation;
using UmlTlb.Binding;
using UmlTlb.Lifetime;

namespace UmlTlb.Commands;

/// <summary>Starts a traced stub process whose address space the Vm cmdlets change.</summary>
[Cmdlet(VerbsLifecycle.Start, "StubProcess", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
[OutputType(typeof(StubProcess))]
public sealed class StartStubProcessCommand : PSCmdlet
{
    #region Parameters

    /// <summary>A name to find the stub by; default stubN.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    /// <summary>x86_64 (default) or i386.</summary>
    [Parameter]
    public StubArchitecture Architecture { get; set; } = StubArchitecture.x86_64;

    /// <summary>Bytes of physical-memory file that mmap ops map (default 64 MiB), a whole number of pages.</summary>
    [Parameter]
    [NumberTransformation]
    public ulong PhysicalMemorySize { get; set; } = StubStartOptions.DefaultPhysicalMemorySize;

    /// <summary>Pages of shared data area for one batch: 1 (as UML) to 256.</summary>
    [Parameter]
    [ValidateRange(1, 256)]
    public int BatchPages { get; set; } = 1;

    /// <summary>Colocated (default) pins the stub and its tracer thread to one CPU; Any leaves them to the scheduler.</summary>
    [Parameter]
    public StubAffinity Affinity { get; set; } = StubAffinity.Colocated;

    /// <summary>Doorbell (default): the stub loops in its own code, woken through a futex in the data area. Ptrace: a ptrace stop per round trip.</summary>
    [Parameter]
    public StubTransport Transport { get; set; } = StubTransport.Doorbell;

    #endregion

    #region Method overrides

    protected override void ProcessRecord()
    {
        string target = $"{Name ?? "a new stub"} ({Architecture}, {BatchPages} data page(s), 0x{PhysicalMemorySize:x} bytes of physical memory)";
        if (!ShouldProcess(target, "Start stub process"))
        {
            return;
        }
        StubProcess stub;
        try
        {
            stub = StubProcess.Start(new StubStartOptions
            {
                Name = Name,
                Architecture = Architecture,
                PhysicalMemorySize = PhysicalMemorySize,
                BatchPages = BatchPages,
                Affinity = Affinity,
                Transport = Transport,
            });
        }
        catch (Exception e) when (e is not PipelineStoppedException)
        {
            ThrowTerminatingError(Errors.StubStartFailed(e, Name));
            return;
        }
        RunspaceStubs.Adopt(stub);
        WriteVerbose($"Started stub '{stub.Name}' (Id {stub.Id}): pid {stub.ProcessId}, {stub.Architecture}, "
            + (stub.Cpu is { } cpu ? $"pinned with its tracer thread to CPU {cpu}" : "not pinned (Affinity Any)")
            + $", {stub.BatchCapacity} host ops per batch.");
        WriteObject(stub);
    }

    #endregion
}
