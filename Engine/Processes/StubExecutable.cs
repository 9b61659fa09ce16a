using UmlTlb.Abi;

namespace UmlTlb.Processes;

/// <summary>
/// A stub program, carried inside UmlTlb.Engine.dll as a resource (Stubs/Stubs.targets)
/// and run from a sealed memfd, as Linux UML runs its stub: there is no file on disk that
/// could be swapped between a check and the exec, and nothing to ship beside the module.
/// One per architecture per process, made on first use and kept open for the process's
/// life; /proc/&lt;stub&gt;/exe then names it (memfd:umltlb-stub-&lt;arch&gt;).
/// </summary>
internal sealed class StubExecutable
{
    private static readonly object Gate = new();
    private static readonly Dictionary<StubArchitecture, StubExecutable> Made = new();

    private StubExecutable(MemFd file) => File = file;

    /// <summary>The sealed memfd (close-on-exec: a stub never inherits it).</summary>
    public MemFd File { get; }

    /// <summary>
    /// The path posix_spawn executes, as fexecve does: in the child the memfd is still
    /// open until the exec succeeds, and closed by it.
    /// </summary>
    public string SpawnPath => $"/proc/self/fd/{File.Fd}";

    public static StubExecutable For(StubAbi abi)
    {
        lock (Gate)
        {
            if (!Made.TryGetValue(abi.Architecture, out var executable))
            {
                executable = new StubExecutable(MemFd.CreateSealedExecutable(abi.StubFileName, Image(abi)));
                Made[abi.Architecture] = executable;
            }
            return executable;
        }
    }

    /// <summary>The stub program's bytes, a static ELF executable.</summary>
    public static byte[] Image(StubAbi abi)
    {
        using var stream = typeof(StubExecutable).Assembly.GetManifestResourceStream(abi.StubFileName)
            ?? throw new InvalidOperationException($"UmlTlb.Engine.dll carries no {abi.StubFileName} resource: it was built without Stubs/Stubs.targets.");
        var image = new byte[stream.Length];
        stream.ReadExactly(image);
        return image;
    }
}
