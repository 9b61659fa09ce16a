namespace UmlTlb;

/// <summary>Why an op was refused before it was queued.</summary>
public enum VmOpRejectionReason
{
    UnknownOperation,
    AddressNotAligned,
    OffsetNotAligned,
    LengthZero,
    LengthNotAligned,
    RangeWraps,
    RangeBeyondUserLimit,
    BeyondPhysicalMemory,
    OffsetBeyondArchitecture,
    UnknownProtection,
}

/// <summary>A refused op: the reason, a sentence for people, and the value at fault.</summary>
public sealed record VmOpRejection(VmOpRejectionReason Reason, string Message, object OffendingValue);
