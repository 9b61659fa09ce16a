using UmlTlb.Native;

namespace UmlTlb.Shadow;

/// <summary>
/// What a stub's user range holds, as the results of the host ops it ran say: which page
/// ranges show which part of the physical-memory file, with which protection. Each executed
/// host op updates it from its actual outcome: a success applies; a failure applies what Linux
/// had already done (a failed mprotect changed the pages before its first hole; mmap and munmap
/// change nothing when they fail); a skipped op changes nothing. The owning stub serialises access.
/// </summary>
internal sealed class AddressSpaceShadow
{
    private readonly RangeMap _ranges;

    public AddressSpaceShadow(string physicalMemoryPath)
        : this(physicalMemoryPath, new RangeMap())
    {
    }

    private AddressSpaceShadow(string physicalMemoryPath, RangeMap ranges)
    {
        PhysicalMemoryPath = physicalMemoryPath;
        _ranges = ranges;
    }

    /// <summary>The physical-memory file as /proc/pid/maps names it: "/memfd:umltlb-physmem-1 (deleted)".</summary>
    public string PhysicalMemoryPath { get; }

    public RangeMap Ranges => _ranges;

    public AddressSpaceShadow Clone() => new(PhysicalMemoryPath, _ranges.Clone());

    /// <summary>
    /// Applies what one host op really did, given the syscall's return value. A journal, when
    /// given, first keeps what the op's range held, so that an atomic flush can put it back.
    /// </summary>
    public void Record(VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset, long result, ShadowJournal? journal = null)
    {
        ulong end = address + length;
        bool failed = result is >= -4095 and < 0;
        if (failed)
        {
            // do_mprotect_pkey changes VMA after VMA and stops with ENOMEM at the first hole;
            // mmap and munmap undo or never start what they fail at.
            if (kind != VmOpKind.Mprotect || result != -Errno.ENOMEM || _ranges.FirstHole(address, end) is not { } hole || hole == address)
            {
                return;
            }
            end = hole;
        }
        journal?.Capture(_ranges, address, end);
        switch (kind)
        {
            case VmOpKind.Mmap:
                _ranges.Map(address, end, offset, protection);
                break;
            case VmOpKind.Munmap:
                _ranges.Unmap(address, end);
                break;
            case VmOpKind.Mprotect:
                _ranges.Protect(address, end, protection);
                break;
        }
    }

    /// <summary>
    /// What the op would return if it ran now, from the shadow alone: an mprotect that meets
    /// a hole fails with ENOMEM, everything else succeeds (mmap returns its address).
    /// </summary>
    public long Predict(VmOpKind kind, ulong address, ulong length) =>
        kind switch
        {
            VmOpKind.Mmap => (long)address,
            VmOpKind.Mprotect when _ranges.FirstHole(address, address + length) is not null => -Errno.ENOMEM,
            _ => 0,
        };

    /// <summary>The shadow as /proc/pid/maps lines of the physical-memory file.</summary>
    public List<MemoryMapping> ToMappings()
    {
        var list = new List<MemoryMapping>(_ranges.Count);
        foreach (var r in _ranges.All)
        {
            list.Add(ToMapping(r, PhysicalMemoryPath));
        }
        return list;
    }

    public static MemoryMapping ToMapping(in ShadowRange r, string path) => new()
    {
        Start = r.Start,
        End = r.End,
        Protection = r.Protection,
        Shared = true,
        Offset = r.Offset,
        Path = path,
    };
}
