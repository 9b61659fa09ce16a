using UmlTlb.Abi;

namespace UmlTlb.Processes;

/// <summary>Finds a stub program on disk: only for StubStartOptions.StubDirectory (tests that run a stand-in).</summary>
internal static class StubFiles
{
    public static string Locate(StubAbi abi, string directory)
    {
        string path = Path.Combine(directory, abi.StubFileName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The {abi.Architecture} stub program is missing: {path}.", path);
        }
        return path;
    }
}
