namespace UmlTlb;

/// <summary>
/// The kernel refused to execute the stub program of an architecture (ENOEXEC).
/// For i386 this means the kernel runs no 32-bit x86 programs: IA32 emulation is
/// compiled out, switched off (ia32_emulation=0), or the hypervisor has no 32-bit mode.
/// </summary>
public sealed class StubArchitectureNotSupportedException : PlatformNotSupportedException
{
    public StubArchitectureNotSupportedException(StubArchitecture architecture, Exception inner)
        : base($"This kernel cannot run {architecture} stubs: executing the stub program failed with ENOEXEC "
            + (architecture == StubArchitecture.i386
                ? "(32-bit x86 programs are not supported here: IA32 emulation is off, e.g. ia32_emulation=0, or the hypervisor has no 32-bit mode). Use -Architecture x86_64."
                : "(the stub program is not an executable this kernel accepts)."), inner)
    {
        Architecture = architecture;
    }

    public StubArchitecture Architecture { get; }
}
