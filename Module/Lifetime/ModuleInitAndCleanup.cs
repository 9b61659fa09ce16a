using System.Management.Automation;

namespace UmlTlb.Lifetime;

/// <summary>Remove-Module UmlTlb stops the stubs this runspace started: none outlives the module that owns it.</summary>
public sealed class ModuleInitAndCleanup : IModuleAssemblyCleanup
{
    public void OnRemove(PSModuleInfo psModuleInfo) => RunspaceStubs.StopAllOfCurrentRunspace();
}
