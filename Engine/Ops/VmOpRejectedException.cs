namespace UmlTlb;

/// <summary>An op that was refused before it was queued.</summary>
public sealed class VmOpRejectedException : ArgumentException
{
    public VmOpRejectedException(VmOpRejection rejection) : base(rejection.Message) => Rejection = rejection;

    public VmOpRejection Rejection { get; }
}
