// A model version of a target: its number and name ("v0001"); StorageLayout.ModelVersionPrefix names its folder.
namespace Pipeline.Shared.Contracts;

public sealed record ModelVersion(string Target, int Number)
{
    /// <summary>"v0001": four digits, so versions sort by name.</summary>
    public string Name => $"v{Number:D4}";

    public static bool TryParseName(string name, out int number)
    {
        number = 0;
        return name.Length >= 5 && name[0] == 'v' && int.TryParse(name.AsSpan(1), out number) && number > 0;
    }

    public override string ToString() => $"{Target}/{Name}";
}
