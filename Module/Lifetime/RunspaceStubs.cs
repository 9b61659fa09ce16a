using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;

namespace UmlTlb.Lifetime;

/// <summary>
/// Which runspace started which stub, so that closing that runspace or removing
/// the module from it stops its stubs. Stubs stay usable from every runspace meanwhile.
/// </summary>
internal static class RunspaceStubs
{
    private static readonly ConcurrentDictionary<Guid, ConcurrentDictionary<int, StubProcess>> Owned = new();

    public static void Adopt(StubProcess stub)
    {
        var runspace = Runspace.DefaultRunspace;
        if (runspace is null)
        {
            return;
        }
        var stubs = Owned.GetOrAdd(runspace.InstanceId, _ =>
        {
            runspace.StateChanged += OnStateChanged;
            return new ConcurrentDictionary<int, StubProcess>();
        });
        stubs[stub.Id] = stub;
    }

    public static void Forget(StubProcess stub)
    {
        foreach (var stubs in Owned.Values)
        {
            stubs.TryRemove(stub.Id, out _);
        }
    }

    /// <summary>Stops every stub the current runspace started.</summary>
    public static void StopAllOfCurrentRunspace()
    {
        if (Runspace.DefaultRunspace is { } runspace)
        {
            StopAll(runspace.InstanceId);
        }
    }

    private static void OnStateChanged(object? sender, RunspaceStateEventArgs e)
    {
        if (sender is Runspace runspace && e.RunspaceStateInfo.State is RunspaceState.Closing or RunspaceState.Closed or RunspaceState.Broken)
        {
            runspace.StateChanged -= OnStateChanged;
            StopAll(runspace.InstanceId);
        }
    }

    private static void StopAll(Guid runspaceId)
    {
        if (Owned.TryRemove(runspaceId, out var stubs))
        {
            foreach (var stub in stubs.Values)
            {
                stub.Stop();
            }
        }
    }
}
