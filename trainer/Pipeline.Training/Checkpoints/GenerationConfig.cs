// generation_config.json (Hugging Face GenerationConfig): the token ids and sampling defaults `generate` reads.
using System.Text.Json;
using System.Text.Json.Serialization;
using Pipeline.Training.Model;

namespace Pipeline.Training.Checkpoints;

public sealed record GenerationConfig
{
    public const string FileName = "generation_config.json";

    public int? BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public JsonElement? EosTokenId { get; init; }
    public int? PadTokenId { get; init; }
    public bool? DoSample { get; init; }
    public double? Temperature { get; init; }
    public double? TopP { get; init; }
    public int? MaxNewTokens { get; init; }

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    public static GenerationConfig FromModel(LlamaConfig config) => new()
    {
        BosTokenId = config.BosTokenId,
        EosTokenId = config.EosTokenIds is { } ids
            ? JsonSerializer.SerializeToElement(ids.Length == 1 ? (object)ids[0] : ids)
            : null,
        PadTokenId = config.PadTokenId,
    };

    /// <summary>All end-of-sequence ids (an int or a list in the file).</summary>
    [JsonIgnore]
    public IReadOnlyList<int> EosTokenIds => EosTokenId switch
    {
        { ValueKind: JsonValueKind.Number } e => [e.GetInt32()],
        { ValueKind: JsonValueKind.Array } e => e.EnumerateArray().Select(x => x.GetInt32()).ToList(),
        _ => [],
    };

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static GenerationConfig? TryLoad(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<GenerationConfig>(File.ReadAllText(path), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: {e.Message}", e);
        }
    }

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Json) + "\n");
}
