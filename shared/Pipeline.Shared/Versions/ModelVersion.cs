// A model version of a target: the folder models/{target}/v{NNNN}/ and its number.
using Pipeline.Shared.Storage;
namespace Pipeline.Shared.Versions;

public sealed record ModelVersion(string Target, int Number)
{
    /// <summary>"v0001": four digits, so versions sort by name.</summary>
    public string Name => $"v{Number:D4}";

    /// <summary>Blob prefix inside the models container, ending with '/'.</summary>
    public string Prefix => StorageLayout.ModelVersionPrefix(Target, Number);

    public static bool TryParseName(string name, out int number)
    {
        number = 0;
        return name.Length >= 5 && name[0] == 'v' && int.TryParse(name.AsSpan(1), out number) && number > 0;
    }

    public override string ToString() => $"{Target}/{Name}";
}
