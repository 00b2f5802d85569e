// JSON conventions of everything the worker writes (manifest, latest pointer, status, reports): snake_case, indented.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Contracts;

public static class ContractJson
{
    /// <summary>snake_case property names; dictionary keys (TRL metric names such as "eval_rewards/accuracies") kept as they are.</summary>
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static BinaryData Serialize<T>(T value) => BinaryData.FromObjectAsJson(value, Options);

    public static T Deserialize<T>(BinaryData data, string blobName) =>
        data.ToObjectFromJson<T>(Options) ?? throw new InvalidDataException($"{blobName} holds JSON null");
}
