using UmlTlb.Shadow;

namespace UmlTlb;

/// <summary>The stub's shadow address space, and how it compares with /proc/pid/maps.</summary>
public sealed partial class StubProcess
{
    /// <summary>What the results of every host op this stub ran say its user range holds.</summary>
    internal StubShadow Shadow { get; }

    /// <summary>The shadow as mappings: the same objects <see cref="GetMappings"/> reads from /proc/pid/maps.</summary>
    public IReadOnlyList<MemoryMapping> GetShadowMappings()
    {
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            return Shadow.Current.ToMappings();
        }
    }

    /// <summary>
    /// Where /proc/pid/maps below UserAddressLimit differs from the shadow (Before: the shadow,
    /// After: /proc); empty when they agree. Both are read under the stub's lock, so no flush runs in between.
    /// </summary>
    public IReadOnlyList<MappingChange> CompareWithShadow()
    {
        lock (SyncRoot)
        {
            ThrowIfNotRunning();
            return MappingDiff.Compare(Shadow.Current.ToMappings(), GetMappings());
        }
    }

    /// <summary>
    /// A dry run of flushing the pending ops: the host ops, and the change they would make to the
    /// shadow, computed from the shadow alone. Runs nothing and changes nothing.
    /// </summary>
    public VmFlushPreview PreviewFlush(bool continueOnError = false) => FlushPlanner.Plan(this, [], continueOnError);

    /// <summary>Starts an all-or-nothing flush of this stub's queue (see <see cref="AtomicVmFlush"/>).</summary>
    public AtomicVmFlush BeginAtomicFlush() => new(this);

    private static string PhysicalMemoryName(int id) => $"umltlb-physmem-{id}";
}
