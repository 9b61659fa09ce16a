using System.Collections.Concurrent;

namespace UmlTlb;

/// <summary>
/// Every stub of this process, by Id: any thread or PowerShell runspace can
/// find a stub from its Id.
/// </summary>
public static class StubRegistry
{
    private static readonly ConcurrentDictionary<int, StubProcess> Stubs = new();
    // Each reservation is its own object: only the one who holds it may release the name,
    // so stopping a stopped stub again cannot free the name of a newer stub that took it.
    private static readonly ConcurrentDictionary<string, object> Names = new(StringComparer.OrdinalIgnoreCase);
    private static int _lastId;

    public static IReadOnlyList<StubProcess> All => Stubs.Values.OrderBy(s => s.Id).ToList();

    public static StubProcess? Get(int id) => Stubs.TryGetValue(id, out var stub) ? stub : null;

    /// <summary>The only running stub, else the last one started that still runs; null when none runs.</summary>
    public static StubProcess? Default =>
        Stubs.Values.Where(s => s.State == StubState.Running).OrderByDescending(s => s.Id).FirstOrDefault();

    internal static int NextId() => Interlocked.Increment(ref _lastId);

    internal static void Add(StubProcess stub) => Stubs[stub.Id] = stub;

    internal static void Remove(StubProcess stub, object nameReservation)
    {
        Stubs.TryRemove(new KeyValuePair<int, StubProcess>(stub.Id, stub));
        ReleaseName(stub.Name, nameReservation);
    }

    /// <summary>
    /// Claims a name before the stub exists, so that two runspaces starting the same name at
    /// once cannot both win; returns the reservation to release it with, or null when the name is taken.
    /// </summary>
    internal static object? TryReserveName(string name)
    {
        var reservation = new object();
        return Names.TryAdd(name, reservation) ? reservation : null;
    }

    /// <summary>Frees the name if <paramref name="reservation"/> still holds it; a no-op otherwise.</summary>
    internal static void ReleaseName(string name, object reservation) =>
        Names.TryRemove(new KeyValuePair<string, object>(name, reservation));

    /// <summary>The stubs whose Name is <paramref name="name"/> (any case), oldest first.</summary>
    public static IReadOnlyList<StubProcess> WithName(string name) =>
        All.Where(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase)).ToList();
}
