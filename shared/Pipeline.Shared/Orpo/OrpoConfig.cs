// ORPO hyper-parameters under TRL ORPOConfig / transformers TrainingArguments names (snake_case JSON), TRL defaults:
// the `train --config` file (JSON or YAML) and the `training.orpo` section of a target profile. Plain data, validated
// wherever it is read, so a bad value is reported when the profile is written, not when a run starts.
// A TRL user's file loads as it is: TRL keys without effect here warn (TrlKeys); unknown keys are rejected with the
// file and key named.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Orpo;

[JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
public sealed record OrpoConfig
{
    /// <summary>Weight of the odds-ratio term (TRL: beta, "lambda" in the paper).</summary>
    [JsonPropertyName("beta")] public double Beta { get; init; } = 0.1;
    [JsonPropertyName("learning_rate")] public double LearningRate { get; init; } = 1e-6;
    [JsonPropertyName("per_device_train_batch_size")] public int PerDeviceTrainBatchSize { get; init; } = 8;
    [JsonPropertyName("per_device_eval_batch_size")] public int PerDeviceEvalBatchSize { get; init; } = 8;
    [JsonPropertyName("gradient_accumulation_steps")] public int GradientAccumulationSteps { get; init; } = 1;
    [JsonPropertyName("num_train_epochs")] public double NumTrainEpochs { get; init; } = 3.0;
    /// <summary>Optimizer steps; overrides num_train_epochs when positive.</summary>
    [JsonPropertyName("max_steps")] public int MaxSteps { get; init; } = -1;
    /// <summary>Tokens per sequence (prompt + completion, BOS/EOS included).</summary>
    [JsonPropertyName("max_length")] public int MaxLength { get; init; } = 1024;
    /// <summary>Prompt tokens kept when a prompt is longer (TRL DPOConfig's meaning; null: no separate limit).</summary>
    [JsonPropertyName("max_prompt_length")] public int? MaxPromptLength { get; init; }
    /// <summary>Completion tokens kept when a completion is longer (null: no separate limit).</summary>
    [JsonPropertyName("max_completion_length")] public int? MaxCompletionLength { get; init; }
    /// <summary>keep_end (cut a long prompt's start) | keep_start (cut its end); BOS and the assistant header stay.</summary>
    [JsonPropertyName("truncation_mode")] public string TruncationMode { get; init; } = "keep_end";
    /// <summary>One of <see cref="Schedulers"/>, as transformers' get_scheduler names them.</summary>
    [JsonPropertyName("lr_scheduler_type")] public string LrSchedulerType { get; init; } = "linear";
    /// <summary>The scheduler's own arguments (min_lr / min_lr_rate, lr_end / power, num_cycles, num_decay_steps ...).</summary>
    [JsonPropertyName("lr_scheduler_kwargs")] public Dictionary<string, JsonElement>? LrSchedulerKwargs { get; init; }
    [JsonPropertyName("warmup_ratio")] public double WarmupRatio { get; init; }
    /// <summary>Overrides warmup_ratio when positive; below 1, a ratio of the total steps (current transformers).</summary>
    [JsonPropertyName("warmup_steps")] public double WarmupSteps { get; init; }
    [JsonPropertyName("weight_decay")] public double WeightDecay { get; init; }
    [JsonPropertyName("adam_beta1")] public double AdamBeta1 { get; init; } = 0.9;
    [JsonPropertyName("adam_beta2")] public double AdamBeta2 { get; init; } = 0.999;
    [JsonPropertyName("adam_epsilon")] public double AdamEpsilon { get; init; } = 1e-8;
    /// <summary>Clip the global gradient norm to this (0 disables).</summary>
    [JsonPropertyName("max_grad_norm")] public double MaxGradNorm { get; init; } = 1.0;
    [JsonPropertyName("seed")] public int Seed { get; init; } = 42;
    /// <summary>Seed of the data order (null: seed), as transformers' data_seed.</summary>
    [JsonPropertyName("data_seed")] public int? DataSeed { get; init; }
    /// <summary>Optimizer steps between progress lines and metrics.jsonl records; below 1, a ratio of the total steps.</summary>
    [JsonPropertyName("logging_steps")] public double LoggingSteps { get; init; } = 10;
    /// <summary>Optimizer steps between evaluations on the eval split (null: logging_steps; 0: never); below 1, a ratio.</summary>
    [JsonPropertyName("eval_steps")] public double? EvalSteps { get; init; }
    /// <summary>Optimizer steps between checkpoints (0: never); below 1, a ratio of the total steps.</summary>
    [JsonPropertyName("save_steps")] public double SaveSteps { get; init; } = 500;
    /// <summary>Checkpoints kept on disk (null: all).</summary>
    [JsonPropertyName("save_total_limit")] public int? SaveTotalLimit { get; init; }
    /// <summary>Forward and backward in bfloat16: float32 master weights and optimizer state, or with use_peft a bf16
    /// frozen base under float32 adapters. Null (TRL's default): bf16 where the hardware supports it (CUDA), else float32.</summary>
    [JsonPropertyName("bf16")] public bool? Bf16 { get; init; }
    /// <summary>Recompute each decoder layer in the backward pass instead of keeping its activations (less memory,
    /// about one more forward pass of compute).</summary>
    [JsonPropertyName("gradient_checkpointing")] public bool GradientCheckpointing { get; init; }
    [JsonPropertyName("disable_dropout")] public bool DisableDropout { get; init; } = true;
    /// <summary>Batch pairs of similar length (transformers' LengthGroupedSampler idea; default false as TrainingArguments).</summary>
    [JsonPropertyName("group_by_length")] public bool GroupByLength { get; init; }

    // LoRA, under TRL ModelConfig's names (PEFT defaults for Llama when lora_target_modules is null).
    [JsonPropertyName("use_peft")] public bool UsePeft { get; init; }
    [JsonPropertyName("lora_r")] public int LoraR { get; init; } = 16;
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 32;
    /// <summary>Dropout on the adapter input (TRL's default 0.05); like TRL, disable_dropout (default true) turns it off.</summary>
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; } = 0.05;
    /// <summary>Module names, or ["all-linear"] (PEFT: every Linear but the output layer); a single string is accepted.</summary>
    [JsonPropertyName("lora_target_modules")] public string[]? LoraTargetModules { get; init; }

    // Not in TRL: this pipeline's choices, named in the same style.
    /// <summary>With use_peft, also write the adapter merged into full weights (the adapter is saved either way).</summary>
    [JsonPropertyName("merge_adapter")] public bool MergeAdapter { get; init; }
    /// <summary>truncate (cut the prompt from the left, then completions from the right) | drop (count and skip the
    /// pair) | truncate_prompt (cut only the prompt; drop the pair if that is not enough).</summary>
    [JsonPropertyName("overlong_pairs")] public string OverlongPairs { get; init; } = "truncate";
    /// <summary>false: a NaN/Inf loss or gradient stops the run; true: that step is skipped and counted.</summary>
    [JsonPropertyName("skip_nonfinite_steps")] public bool SkipNonfiniteSteps { get; init; }

    /// <summary>Keys of the loaded file accepted without effect, one line each (TrlKeys); shown by whoever loads it.</summary>
    [JsonIgnore] public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>transformers' lr_scheduler_type names this trainer implements (LrSchedule).</summary>
    public static readonly string[] Schedulers =
        ["linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
         "cosine_with_min_lr", "warmup_stable_decay"];

    /// <summary>A step interval as transformers resolves it: below 1, ceil(ratio x total steps); 0 stays 0 (never).</summary>
    public static int Steps(double value, int totalSteps) => value is > 0 and < 1 ? (int)Math.Ceiling(value * totalSteps) : (int)value;

    public int EffectiveLoggingSteps(int totalSteps) => Math.Max(1, Steps(LoggingSteps, totalSteps));
    public int EffectiveEvalSteps(int totalSteps) => EvalSteps is { } e ? Steps(e, totalSteps) : EffectiveLoggingSteps(totalSteps);
    public int EffectiveSaveSteps(int totalSteps) => Steps(SaveSteps, totalSteps);
    public int EffectiveWarmupSteps(int totalSteps) =>
        WarmupSteps > 0 ? Steps(WarmupSteps, totalSteps) : (int)Math.Ceiling(WarmupRatio * totalSteps);

    private static readonly JsonSerializerOptions Json = new()
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
    };

    /// <summary>Reads <paramref name="path"/> (optional) and applies `--key value` overrides on top, then validates.</summary>
    public static OrpoConfig Load(string? path, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var source = path ?? "command line";
        JsonObject node;
        try
        {
            node = path is null ? [] : YamlConfig.IsYaml(path) ? YamlConfig.Read(path) : JsonNode.Parse(File.ReadAllText(path)) as JsonObject
                ?? throw new InvalidDataException($"{path}: the config must be a JSON object.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: {e.Message}", e);
        }
        foreach (var (key, value) in overrides ?? new Dictionary<string, string>())
            node[key] = ParseOverride(value);
        var (warnings, refused) = TrlKeys.Apply(node);
        if (refused.Count > 0) throw new InvalidDataException($"{source}: {string.Join("; ", refused)}.");
        OrpoConfig config;
        try
        {
            config = (node.Deserialize<OrpoConfig>(Json) ?? new OrpoConfig()) with { Warnings = warnings };
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
        config.Validate(source);
        return config;
    }

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="source"/> and every problem.</summary>
    public void Validate(string source = "config")
    {
        if (Problems() is { Count: > 0 } errors) throw new InvalidDataException($"{source}: {string.Join("; ", errors)}.");
    }

    /// <summary>Every invalid value, named by its key; empty when the config is valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var errors = new List<string>();
        if (Beta <= 0) errors.Add("beta must be > 0");
        if (LearningRate < 0) errors.Add("learning_rate must be >= 0");
        if (PerDeviceTrainBatchSize < 1) errors.Add("per_device_train_batch_size must be >= 1");
        if (PerDeviceEvalBatchSize < 1) errors.Add("per_device_eval_batch_size must be >= 1");
        if (GradientAccumulationSteps < 1) errors.Add("gradient_accumulation_steps must be >= 1");
        if (MaxSteps <= 0 && NumTrainEpochs <= 0) errors.Add("set num_train_epochs > 0 or max_steps > 0");
        if (MaxLength < 3) errors.Add("max_length must be >= 3 (BOS, one token, EOS)");
        if (!Schedulers.Contains(LrSchedulerType))
            errors.Add($"lr_scheduler_type '{LrSchedulerType}' is not one of {string.Join(", ", Schedulers)}");
        if (LrSchedulerType == "cosine_with_min_lr" && !(LrSchedulerKwargs?.ContainsKey("min_lr") == true ^ LrSchedulerKwargs?.ContainsKey("min_lr_rate") == true))
            errors.Add("lr_scheduler_type cosine_with_min_lr needs exactly one of min_lr, min_lr_rate in lr_scheduler_kwargs");
        if (LrSchedulerType == "warmup_stable_decay" && LrSchedulerKwargs?.ContainsKey("num_decay_steps") != true)
            errors.Add("lr_scheduler_type warmup_stable_decay needs num_decay_steps in lr_scheduler_kwargs");
        if (WarmupRatio is < 0 or > 1) errors.Add("warmup_ratio must be in [0, 1]");
        StepInterval(errors, "warmup_steps", WarmupSteps);
        if (WeightDecay < 0) errors.Add("weight_decay must be >= 0");
        if (MaxGradNorm < 0) errors.Add("max_grad_norm must be >= 0");
        if (LoggingSteps <= 0) errors.Add("logging_steps must be > 0");
        StepInterval(errors, "logging_steps", LoggingSteps);
        if (EvalSteps is { } eval) StepInterval(errors, "eval_steps", eval);
        StepInterval(errors, "save_steps", SaveSteps);
        if (SaveTotalLimit < 1) errors.Add("save_total_limit must be >= 1");
        if (LoraR < 1) errors.Add("lora_r must be >= 1");
        if (LoraDropout is < 0 or >= 1) errors.Add("lora_dropout must be in [0, 1)");
        if (OverlongPairs is not ("truncate" or "drop" or "truncate_prompt")) errors.Add($"overlong_pairs '{OverlongPairs}' is not truncate, drop or truncate_prompt");
        if (MaxPromptLength < 1) errors.Add("max_prompt_length must be >= 1");
        if (MaxCompletionLength < 1) errors.Add("max_completion_length must be >= 1");
        if (TruncationMode is not ("keep_end" or "keep_start")) errors.Add($"truncation_mode '{TruncationMode}' is not keep_end or keep_start");
        return errors;
    }

    // transformers: a ratio in (0, 1) or a whole number of steps.
    private static void StepInterval(List<string> errors, string key, double value)
    {
        if (value < 0) errors.Add($"{key} must be >= 0");
        else if (value > 1 && value != Math.Floor(value)) errors.Add($"{key} {value} must be a whole number of steps or a ratio below 1");
    }

    // `--learning_rate 5e-5` is a number, `--bf16 true` a bool, `--lr_scheduler_type cosine` a string.
    private static JsonNode? ParseOverride(string value)
    {
        if (bool.TryParse(value, out var b)) return JsonValue.Create(b);
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) return JsonNode.Parse(value);
        return value == "null" ? null : JsonValue.Create(value);
    }
}
