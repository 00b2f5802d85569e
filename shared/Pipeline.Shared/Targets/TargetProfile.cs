// Per-target settings from `config/targets/{target}.json` (snake_case JSON, unknown keys rejected): the ingestion
// limits here, the trainer's settings under "training", and who may call the target's HTTP functions under "access".
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Targets;

public sealed record TargetProfile
{
    /// <summary>Schema name (standard, conversational, implicit_prompt, openai, mapped); null detects per file.</summary>
    [JsonPropertyName("schema")] public string? Schema { get; init; }

    /// <summary>Normalised field -> source column, e.g. {"prompt": "input"}; keys: prompt, system, chosen, rejected.</summary>
    [JsonPropertyName("column_mapping")] public IReadOnlyDictionary<string, string>? ColumnMapping { get; init; }

    /// <summary>Tokenizer (a Hugging Face model or tokenizer folder, or "gpt2") used to count tokens for max_length.</summary>
    [JsonPropertyName("tokenizer")] public string? Tokenizer { get; init; }

    /// <summary>Longest prompt + completion in tokens; needs a tokenizer, else max_chars applies.</summary>
    [JsonPropertyName("max_length")] public int? MaxLength { get; init; }

    /// <summary>Longest prompt + completion in characters when no tokenizer is configured.</summary>
    [JsonPropertyName("max_chars")] public int MaxChars { get; init; } = 100_000;

    /// <summary>"truncate" keeps the long row and counts it (the trainer cuts it to max_length); "drop" rejects the row;
    /// "reject_file" makes the whole file unusable.</summary>
    [JsonPropertyName("too_long_policy")] public string TooLongPolicy { get; init; } = TooLongPolicies.Truncate;

    /// <summary>Share of prompts held out for evaluation (0..0.5).</summary>
    [JsonPropertyName("eval_share")] public double EvalShare { get; init; } = 0.1;

    /// <summary>Fewest accepted rows for a usable file. The default, 10, is the least that gives the default eval_share
    /// (0.1) one held-out pair on average next to the training split: a 2-row file does not become a training run.</summary>
    [JsonPropertyName("min_rows")] public int MinRows { get; init; } = DefaultMinRows;

    public const int DefaultMinRows = 10;

    /// <summary>Largest share of rejected rows (0..1) for a usable file.</summary>
    [JsonPropertyName("max_rejected_share")] public double MaxRejectedShare { get; init; } = 0.5;

    /// <summary>Largest file in bytes, stored and after decompression (stops gzip bombs).</summary>
    [JsonPropertyName("max_file_bytes")] public long MaxFileBytes { get; init; } = 2L << 30;

    /// <summary>Longest single line, JSON array element or Parquet row in bytes; longer ones are rejected as too_long without
    /// being buffered. At most <see cref="MaxLineBytesLimit"/>: a reader holds one such row, so this bounds its memory.</summary>
    [JsonPropertyName("max_line_bytes")] public int MaxLineBytes { get; init; } = 16 << 20;

    /// <summary>What the trainer needs: base model, ORPO hyper-parameters, gate, strategy (see TrainingProfile).</summary>
    [JsonPropertyName("training")] public TrainingProfile Training { get; init; } = new();

    /// <summary>Entra ID app roles and groups allowed to read, upload to and retrain the target over HTTP; null: nobody
    /// (a host in Access:Mode Local lets every caller through). Not part of the profile hash: it changes no training.</summary>
    [JsonPropertyName("access")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TargetAccess? Access { get; init; }

    public const int MaxLineBytesLimit = 64 << 20;

    public static TargetProfile Default { get; } = new();

    private static readonly JsonSerializerOptions Json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
    };

    /// <summary>Parses and validates a profile; throws <see cref="FormatException"/> naming <paramref name="source"/> and the reason.</summary>
    public static TargetProfile Parse(string json, string source)
    {
        TargetProfile? profile;
        try
        {
            profile = JsonSerializer.Deserialize<TargetProfile>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: {e.Message}", e);
        }
        if (profile is null) throw new FormatException($"{source}: profile is null");
        var problems = profile.Problems();
        if (problems.Count > 0) throw new FormatException($"{source}: {string.Join("; ", problems)}");
        return profile;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Schema is not null && !SchemaNames.All.Contains(Schema))
            p.Add($"schema '{Schema}' is not one of {string.Join(", ", SchemaNames.All)}");
        if (ColumnMapping is not null)
            foreach (var key in ColumnMapping.Keys.Where(k => k is not ("prompt" or "system" or "chosen" or "rejected")))
                p.Add($"column_mapping key '{key}' is not one of prompt, system, chosen, rejected");
        if (MaxLength is <= 0) p.Add("max_length must be positive");
        if (MaxChars <= 0) p.Add("max_chars must be positive");
        if (TooLongPolicy is not (TooLongPolicies.Truncate or TooLongPolicies.Drop or TooLongPolicies.RejectFile))
            p.Add($"too_long_policy '{TooLongPolicy}' must be '{TooLongPolicies.Truncate}', '{TooLongPolicies.Drop}' or '{TooLongPolicies.RejectFile}'");
        if (EvalShare is < 0 or > 0.5 || double.IsNaN(EvalShare)) p.Add("eval_share must be between 0 and 0.5");
        if (MinRows < 1) p.Add("min_rows must be at least 1");
        if (MaxRejectedShare is < 0 or > 1 || double.IsNaN(MaxRejectedShare)) p.Add("max_rejected_share must be between 0 and 1");
        if (MaxFileBytes <= 0) p.Add("max_file_bytes must be positive");
        if (MaxLineBytes is < 1024 or > MaxLineBytesLimit) p.Add($"max_line_bytes must be between 1024 and {MaxLineBytesLimit} (64 MiB)");
        p.AddRange(Training.Problems());
        if (Access is not null) p.AddRange(Access.Problems());
        return p;
    }
}

public static class TooLongPolicies
{
    public const string Truncate = "truncate";
    public const string Drop = "drop";
    public const string RejectFile = "reject_file";
}

public static class SchemaNames
{
    public const string Standard = "standard";
    public const string Conversational = "conversational";
    public const string ImplicitPrompt = "implicit_prompt";
    public const string OpenAi = "openai";
    public const string Mapped = "mapped";
    public static readonly IReadOnlyList<string> All = [Standard, Conversational, ImplicitPrompt, OpenAi, Mapped];
}
