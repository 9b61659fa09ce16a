using UmlTlb.Abi;

namespace UmlTlb.Ops;

/// <summary>
/// Checks an op against its stub before it is queued. Lengths must be whole pages:
/// the kernel would round a partial page up and touch more than was asked, so
/// UmlTlb refuses instead of guessing.
/// </summary>
internal static class VmOpValidator
{
    private const ulong PageMask = StubDataLayout.PageSize - 1;

    public static VmOpRejection? Check(StubProcess stub, VmOpKind kind, ulong address, ulong length, VmProtection protection, ulong offset)
    {
        if (kind is not (VmOpKind.Mmap or VmOpKind.Munmap or VmOpKind.Mprotect))
        {
            return new(VmOpRejectionReason.UnknownOperation, $"'{kind}' is not an operation: use Mmap, Munmap or Mprotect.", kind);
        }
        if (((int)protection & ~7) != 0)
        {
            return new(VmOpRejectionReason.UnknownProtection, $"'{(int)protection}' is not a protection (Read, Write, Execute or None).", protection);
        }
        if ((address & PageMask) != 0)
        {
            return new(VmOpRejectionReason.AddressNotAligned, $"Address 0x{address:x} is not page aligned (4096 bytes).", address);
        }
        if (length == 0)
        {
            return new(VmOpRejectionReason.LengthZero, "Length is 0: an op must cover at least one page.", length);
        }
        if ((length & PageMask) != 0)
        {
            return new(VmOpRejectionReason.LengthNotAligned, $"Length 0x{length:x} is not a whole number of pages (4096 bytes); UmlTlb does not round it.", length);
        }
        if (address + length < address)
        {
            return new(VmOpRejectionReason.RangeWraps, $"Range 0x{address:x} + 0x{length:x} wraps past 2^64.", length);
        }
        if (address + length > stub.UserAddressLimit)
        {
            return new(VmOpRejectionReason.RangeBeyondUserLimit,
                $"Range 0x{address:x}-0x{address + length:x} reaches the stub's own pages or beyond: ops must end at or below UserAddressLimit 0x{stub.UserAddressLimit:x}.",
                address);
        }
        if (kind == VmOpKind.Mmap)
        {
            if ((offset & PageMask) != 0)
            {
                return new(VmOpRejectionReason.OffsetNotAligned, $"Offset 0x{offset:x} is not page aligned (4096 bytes).", offset);
            }
            if (offset > stub.Abi.MaxMmapOffset)
            {
                return new(VmOpRejectionReason.OffsetBeyondArchitecture,
                    $"Offset 0x{offset:x} does not fit in {stub.Architecture}'s mmap (at most 0x{stub.Abi.MaxMmapOffset:x}): it would be cut and map other pages.",
                    offset);
            }
            if (offset > stub.PhysicalMemorySize || length > stub.PhysicalMemorySize - offset)
            {
                return new(VmOpRejectionReason.BeyondPhysicalMemory,
                    $"Offset 0x{offset:x} + length 0x{length:x} is beyond the physical-memory file (0x{stub.PhysicalMemorySize:x} bytes).",
                    offset);
            }
        }
        return null;
    }
}
