using System.Management.Automation;

namespace UmlTlb.Binding;

/// <summary>
/// Binds a stub from a StubProcess, its Id, its Name (a string is looked up as a name
/// before as an Id), or any object with an Id
/// property (a stub that crossed a runspace or job boundary as a property bag):
/// the registry is process-wide, so every runspace resolves the same live stub.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class StubTransformationAttribute : ArgumentTransformationAttribute
{
    public override object? Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object? value = inputData is PSObject pso ? pso.BaseObject : inputData;
        switch (value)
        {
            case null:
                return null;
            case StubProcess stub:
                return stub;
            case int or long when StubRegistry.Get(Convert.ToInt32(value)) is { } byId:
                return byId;
            // A string is a name first: a stub named '1' wins over the stub with Id 1.
            case string s when StubRegistry.WithName(s.Trim()).LastOrDefault() is { } byName:
                return byName;
            case string s when int.TryParse(s, out int id) && StubRegistry.Get(id) is { } byIdText:
                return byIdText;
            case string s when s.Length == 0:
                return null;
        }
        if (inputData is PSObject bag && bag.Properties["Id"]?.Value is { } idValue
            && int.TryParse(idValue.ToString(), out int bagId) && StubRegistry.Get(bagId) is { } fromBag)
        {
            return fromBag;
        }
        if (value is not (string or int or long))
        {
            // Not a stub's name or Id: leave it to the type conversion, whose failure lets a
            // piped object bind by property name instead (Select-Object Name | Stop-StubProcess).
            return inputData;
        }
        throw new ArgumentTransformationMetadataException($"No stub process '{value}' in this session: see Get-StubProcess.");
    }
}
