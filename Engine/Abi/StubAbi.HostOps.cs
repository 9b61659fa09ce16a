using UmlTlb.Ops;

namespace UmlTlb.Abi;

/// <summary>How a host op becomes a syscall number and six arguments for the stub, on either architecture.</summary>
internal abstract partial class StubAbi
{
    private const ulong MapSharedFixed = 0x01 | 0x10;

    /// <summary>Fills <paramref name="args"/> for <paramref name="op"/> and returns its syscall number.</summary>
    public long Encode(in HostOp op, Span<ulong> args)
    {
        args.Clear();
        args[0] = op.Address;
        args[1] = op.Length;
        switch (op.Kind)
        {
            case VmOpKind.Mmap:
                args[2] = (ulong)op.Protection;
                args[3] = MapSharedFixed;
                args[4] = StubDataLayout.PhysicalMemoryFd;
                args[5] = MmapOffsetArgument(op.Offset);
                return MmapNr;
            case VmOpKind.Mprotect:
                args[2] = (ulong)op.Protection;
                return MprotectNr;
            default:
                return MunmapNr;
        }
    }
}
