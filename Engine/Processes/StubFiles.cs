using UmlTlb.Abi;

namespace UmlTlb.Processes;

/// <summary>Finds the stub executable the build put beside the engine.</summary>
internal static class StubFiles
{
    public static string Locate(StubAbi abi, string? directory)
    {
        directory ??= Path.Combine(Path.GetDirectoryName(typeof(StubFiles).Assembly.Location) ?? AppContext.BaseDirectory, "stubs");
        string path = Path.Combine(directory, abi.StubFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {abi.Architecture} stub is missing: {path}. Build UmlTlb with build.ps1.", path);
        }
        return path;
    }
}
