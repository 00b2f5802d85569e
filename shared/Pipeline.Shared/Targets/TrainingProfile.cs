// The training section of a target profile (`"training": {...}` in config/targets/{target}.json): base model, ORPO
// hyper-parameters under TRL's names (LoRA too: use_peft, lora_r, ...), the evaluation gate, and how new data continues training.
using System.Text.Json.Serialization;
using Pipeline.Shared.Orpo;

namespace Pipeline.Shared.Targets;

public sealed record TrainingProfile
{
    /// <summary>"base-models/{folder}" (a Hugging Face folder in the base-models container) or a local folder path.</summary>
    [JsonPropertyName("base_model")] public string? BaseModel { get; init; }

    /// <summary>ORPO hyper-parameters with TRL ORPOConfig names (beta, learning_rate, ...), and LoRA with TRL ModelConfig
    /// names (use_peft, lora_r, lora_alpha, ...; full fine-tuning without use_peft); null trains with TRL's defaults.
    /// Unknown keys and bad values make the whole profile invalid, so they are reported when it is read or written.</summary>
    [JsonPropertyName("orpo")] public OrpoConfig? Orpo { get; init; }

    /// <summary>from_latest: continue from the current latest version on the new data; from_base: the base model on all data.</summary>
    [JsonPropertyName("strategy")] public string Strategy { get; init; } = TrainingStrategies.FromLatest;

    /// <summary>Files landing within this many seconds of each other are trained in one run.</summary>
    [JsonPropertyName("debounce_seconds")] public double DebounceSeconds { get; init; }

    /// <summary>Longest wait for a quiet target, from its oldest untrained dataset: a steady drip of files still starts a
    /// run this long after the drip began. Null: ten times debounce_seconds.</summary>
    [JsonPropertyName("debounce_max_seconds")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? DebounceMaxSeconds { get; init; }

    /// <summary>The debounce window and its cap, as used by the worker.</summary>
    [JsonIgnore] public TimeSpan Debounce => TimeSpan.FromSeconds(DebounceSeconds);
    [JsonIgnore] public TimeSpan DebounceMax => TimeSpan.FromSeconds(DebounceMaxSeconds ?? 10 * DebounceSeconds);

    [JsonPropertyName("gate")] public GateTolerances Gate { get; init; } = GateTolerances.Default;

    /// <summary>Held-out prompts whose generations before and after training go into the report.</summary>
    [JsonPropertyName("sample_prompts")] public int SamplePrompts { get; init; } = 3;

    /// <summary>Longest sample generation, in tokens.</summary>
    [JsonPropertyName("sample_max_new_tokens")] public int SampleMaxNewTokens { get; init; } = 48;

    /// <summary>A day: the longest a request may be held back by debounce (a queue keeps a message for 7 days).</summary>
    public const double MaxDebounceSeconds = 86_400;

    // Spelled here, not taken from StorageLayout: Targets must not depend on Storage (which depends on Targets).
    private const string BaseModelsPrefix = "base-models/";

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (BaseModel is { } b && string.IsNullOrWhiteSpace(b)) p.Add("training.base_model is empty");
        // "base-models/{folder}" names blobs: the folder passes the same name check as every uploaded file.
        if (BaseModel is { } spec && spec.StartsWith(BaseModelsPrefix, StringComparison.Ordinal)
            && TargetName.FileNameProblem(spec[BaseModelsPrefix.Length..].TrimEnd('/')) is { } folder)
            p.Add($"training.base_model: {folder}");
        if (Strategy is not (TrainingStrategies.FromLatest or TrainingStrategies.FromBase))
            p.Add($"training.strategy '{Strategy}' must be '{TrainingStrategies.FromLatest}' or '{TrainingStrategies.FromBase}'");
        if (!(DebounceSeconds >= 0) || double.IsInfinity(DebounceSeconds)) p.Add("training.debounce_seconds must be >= 0");
        else if (DebounceSeconds > MaxDebounceSeconds) p.Add($"training.debounce_seconds must be at most {MaxDebounceSeconds} (a day)");
        if (DebounceMaxSeconds is { } max && (!(max >= DebounceSeconds) || max > MaxDebounceSeconds))
            p.Add($"training.debounce_max_seconds must be between debounce_seconds ({DebounceSeconds}) and {MaxDebounceSeconds}");
        if (SamplePrompts is < 0 or > 50) p.Add("training.sample_prompts must be between 0 and 50");
        if (SampleMaxNewTokens is < 1 or > 4096) p.Add("training.sample_max_new_tokens must be between 1 and 4096");
        p.AddRange(Gate.Problems());
        if (Orpo is not null) p.AddRange(Orpo.Problems().Select(problem => "training.orpo." + problem));
        return p;
    }
}

public static class TrainingStrategies
{
    public const string FromLatest = "from_latest";
    public const string FromBase = "from_base";
}
