namespace UmlTlb.Native;

/// <summary>
/// The Linux calls Tmds.LibC does not wrap (ptrace, wait, posix_spawn, process_vm_readv,
/// pidfd and friends), declared with their C names, one file per family.
/// </summary>
internal static partial class Interop
{
    internal const string Libc = "libc";
}
