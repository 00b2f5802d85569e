// Typed Hugging Face `config.json` for the Llama family (Llama 2/3/3.x, Mistral, Qwen2 / 2.5, Qwen3, SmolLM, TinyLlama).
// Mirrors transformers' LlamaConfig / Qwen2Config / Qwen3Config field names; unknown fields survive a Load/Save round trip.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Training.Model;

public sealed record LlamaConfig
{
    /// <summary>model_type values whose forward pass this model reproduces exactly.</summary>
    public static readonly IReadOnlySet<string> SupportedModelTypes = new SortedSet<string>(StringComparer.Ordinal) { "llama", "mistral", "qwen2", "qwen3" };

    /// <summary>`architectures` values (transformers class names) of those model types.</summary>
    public static readonly IReadOnlySet<string> SupportedArchitectures = new SortedSet<string>(StringComparer.Ordinal)
        { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM" };

    /// <summary>transformers' Qwen3Config defaults head_dim to 128 whatever hidden_size / num_attention_heads is.</summary>
    private const int Qwen3DefaultHeadDim = 128;

    public string ModelType { get; init; } = "llama";
    public string[]? Architectures { get; init; } = ["LlamaForCausalLM"];
    public int VocabSize { get; init; }
    public int HiddenSize { get; init; }
    public int IntermediateSize { get; init; }
    public int NumHiddenLayers { get; init; }
    public int NumAttentionHeads { get; init; }
    /// <summary>Grouped-query attention: key/value heads; null means one per query head.</summary>
    public int? NumKeyValueHeads { get; init; }
    /// <summary>Per-head width; null means hidden_size / num_attention_heads (Qwen3: 128).</summary>
    public int? HeadDim { get; init; }
    public int MaxPositionEmbeddings { get; init; } = 2048;
    public double RmsNormEps { get; init; } = 1e-6;
    public double RopeTheta { get; init; } = 10000.0;
    public RopeScaling? RopeScaling { get; init; }
    public bool TieWordEmbeddings { get; init; }
    /// <summary>Llama: bias on q/k/v/o projections. Qwen2 always has q/k/v bias (and none on o).</summary>
    public bool AttentionBias { get; init; }
    public bool MlpBias { get; init; }
    public string HiddenAct { get; init; } = "silu";
    public double InitializerRange { get; init; } = 0.02;
    public int? BosTokenId { get; init; }
    /// <summary>eos_token_id: one id, or several (Llama 3.1 lists three).</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(TokenIdsConverter))]
    public int[]? EosTokenIds { get; init; }
    public int? PadTokenId { get; init; }
    public string? TorchDtype { get; init; } = "float32";

    /// <summary>Fields this record does not model (use_cache, transformers_version, ...), written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore] public int? EosTokenId => EosTokenIds is [var first, ..] ? first : null;
    [JsonIgnore] public int KvHeads => NumKeyValueHeads ?? NumAttentionHeads;
    [JsonIgnore] public int HeadSize => HeadDim ?? (ModelType == "qwen3" ? Qwen3DefaultHeadDim : HiddenSize / NumAttentionHeads);
    [JsonIgnore] public bool QkvBias => AttentionBias || ModelType == "qwen2";
    [JsonIgnore] public bool OutputBias => AttentionBias;
    /// <summary>Qwen3: RMSNorm (q_norm, k_norm) over each query and key head before RoPE.</summary>
    [JsonIgnore] public bool QkNorm => ModelType == "qwen3";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static LlamaConfig Load(string configJsonPath)
    {
        LlamaConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<LlamaConfig>(File.ReadAllText(configJsonPath), Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{configJsonPath}: line {e.LineNumber + 1}: {e.Message}", e);
        }
        if (config is null)
            throw new InvalidDataException($"{configJsonPath}: config.json is null.");
        config.Validate(configJsonPath);
        return config;
    }

    public void Save(string configJsonPath)
    {
        Validate(configJsonPath);
        File.WriteAllText(configJsonPath, JsonSerializer.Serialize(this, Json) + "\n");
    }

    /// <summary>Throws naming the first unsupported architecture or inconsistent field.</summary>
    public void Validate(string source = "config")
    {
        void Fail(string field, string reason) =>
            throw new InvalidDataException($"{source}: {field}: {reason}");

        if (!SupportedModelTypes.Contains(ModelType))
            Fail("model_type", $"unsupported architecture '{ModelType}' (supported: {string.Join(", ", SupportedModelTypes)}).");
        foreach (var arch in Architectures ?? [])
            if (!SupportedArchitectures.Contains(arch))
                Fail("architectures", $"unsupported architecture '{arch}' (supported: {string.Join(", ", SupportedArchitectures)}).");
        if (HiddenAct != "silu")
            Fail("hidden_act", $"unsupported activation '{HiddenAct}' (only silu).");
        foreach (var (field, value) in new[] { ("vocab_size", VocabSize), ("hidden_size", HiddenSize),
                     ("intermediate_size", IntermediateSize), ("num_hidden_layers", NumHiddenLayers),
                     ("num_attention_heads", NumAttentionHeads), ("num_key_value_heads", KvHeads), ("head_dim", HeadSize) })
            if (value <= 0)
                Fail(field, $"must be positive, got {value}.");
        if (HeadDim is null && ModelType != "qwen3" && HiddenSize % NumAttentionHeads != 0)
            Fail("hidden_size", $"{HiddenSize} is not divisible by num_attention_heads {NumAttentionHeads}; set head_dim.");
        if (NumAttentionHeads % KvHeads != 0)
            Fail("num_key_value_heads", $"{KvHeads} does not divide num_attention_heads {NumAttentionHeads}.");
        if (HeadSize % 2 != 0)
            Fail("head_dim", $"rotary embeddings need an even head_dim, got {HeadSize}.");
        if (Extra is not null && Extra.TryGetValue("use_sliding_window", out var sliding) && sliding.ValueKind == JsonValueKind.True)
            Fail("use_sliding_window", "sliding-window attention is not supported.");
        RopeScaling?.Validate(source);
    }

    /// <summary>eos_token_id is an int or a list of ints in the wild; write one id back as a scalar.</summary>
    private sealed class TokenIdsConverter : JsonConverter<int[]?>
    {
        public override int[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            reader.TokenType switch
            {
                JsonTokenType.Null => null,
                JsonTokenType.Number => [reader.GetInt32()],
                _ => JsonSerializer.Deserialize<int[]>(ref reader),
            };

        public override void Write(Utf8JsonWriter writer, int[]? value, JsonSerializerOptions options)
        {
            if (value is null) writer.WriteNullValue();
            else if (value.Length == 1) writer.WriteNumberValue(value[0]);
            else JsonSerializer.Serialize(writer, value);
        }
    }
}

/// <summary>config.json `rope_scaling`: types default, linear and llama3 (Llama 3.1 / 3.2).</summary>
public sealed record RopeScaling
{
    [JsonPropertyName("rope_type")] public string? RopeType { get; init; }
    /// <summary>Older configs spell rope_type as `type`.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    public double Factor { get; init; } = 1.0;
    public double LowFreqFactor { get; init; } = 1.0;
    public double HighFreqFactor { get; init; } = 4.0;
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    [JsonIgnore] public string Kind => RopeType ?? Type ?? "default";

    public void Validate(string source)
    {
        if (Kind is not ("default" or "linear" or "llama3"))
            throw new InvalidDataException($"{source}: rope_scaling.rope_type: unsupported '{Kind}' (supported: default, linear, llama3).");
        if (Factor <= 0)
            throw new InvalidDataException($"{source}: rope_scaling.factor: must be positive, got {Factor}.");
        if (Kind == "llama3" && HighFreqFactor <= LowFreqFactor)
            throw new InvalidDataException($"{source}: rope_scaling: high_freq_factor must exceed low_freq_factor.");
    }
}
