using System.Collections.Concurrent;

namespace UmlTlb;

/// <summary>
/// Every stub of this process, by Id: any thread or PowerShell runspace can
/// find a stub from its Id.
/// </summary>
public static class StubRegistry
{
    private static readonly ConcurrentDictionary<int, StubProcess> Stubs = new();
    private static readonly ConcurrentDictionary<string, bool> Names = new(StringComparer.OrdinalIgnoreCase);
    private static int _lastId;

    public static IReadOnlyList<StubProcess> All => Stubs.Values.OrderBy(s => s.Id).ToList();

    public static StubProcess? Get(int id) => Stubs.TryGetValue(id, out var stub) ? stub : null;

    /// <summary>The only running stub, else the last one started that still runs; null when none runs.</summary>
    public static StubProcess? Default =>
        Stubs.Values.Where(s => s.State == StubState.Running).OrderByDescending(s => s.Id).FirstOrDefault();

    internal static int NextId() => Interlocked.Increment(ref _lastId);

    internal static void Add(StubProcess stub) => Stubs[stub.Id] = stub;

    internal static void Remove(StubProcess stub)
    {
        Stubs.TryRemove(stub.Id, out _);
        ReleaseName(stub.Name);
    }

    /// <summary>Claims a name before the stub exists, so that two runspaces starting the same name at once cannot both win.</summary>
    internal static bool TryReserveName(string name) => Names.TryAdd(name, true);

    internal static void ReleaseName(string name) => Names.TryRemove(name, out _);
}
