// A resumable checkpoint a Hugging Face user can open: checkpoints/checkpoint-{N}/ (transformers' name) with the model
// (model.safetensors + config.json) or the PEFT adapter, the tokenizer files, optimizer.bin (AdamW moments), scheduler.json,
// rng_state.bin and trainer_state.json (transformers' fields, log_history included, plus what resuming needs). Where the
// trained tensors are not the model file's (LoRA adapters by module name, bf16's float32 master weights) they are kept
// bit exact in training_state.safetensors. Written to a temp folder, then renamed.
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

/// <summary>Everything besides tensors that a resumed run needs to continue exactly.</summary>
public sealed record TrainerState(
    int GlobalStep,
    long MicroBatchesConsumed,
    double TrainLossSum,
    int SkippedSteps,
    long TokensSeen,
    long PaddedPositions,
    long RealPositions,
    double ElapsedSeconds);

/// <summary>
/// What a checkpoint holds besides the trained tensors: the model (written in Hugging Face layout), the adapter when
/// LoRA trains, the folder the tokenizer files come from, and transformers' TrainerState fields.
/// </summary>
public sealed record CheckpointContent(CausalLm Model, LoraAdapter? Adapter, string? ModelDir, string MetricsPath, JsonObject HfState);

public static class Checkpoint
{
    public const string Optimizer = "optimizer.bin", Rng = "rng_state.bin", State = "trainer_state.json", Scheduler = "scheduler.json";

    /// <summary>The trained tensors, bit exact, where the model file does not hold them (LoRA, bf16 master weights).</summary>
    public const string TrainingTensors = "training_state.safetensors";

    private const string StateKey = "pipeline_state", Prefix = "checkpoint-";

    internal static readonly string[] TokenizerFiles =
        ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "added_tokens.json", "vocab.json", "merges.txt"];

    public static string Folder(string outputDir) => Path.Combine(outputDir, TrainOutput.CheckpointsFolder);

    public static string Name(int step) => $"{Prefix}{step}";

    public static int StepOf(string checkpointFolder) => int.Parse(Path.GetFileName(checkpointFolder).AsSpan(Prefix.Length));

    public static string Save(string outputDir, int step, nn.Module owner, AdamW optimizer, TrainerState state, int? keepLast,
        CheckpointContent content, LrSchedule schedule)
    {
        var root = Folder(outputDir);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, Name(step));
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);

        if (content.Adapter is { } adapter) adapter.SavePeft(tmp, content.ModelDir is null ? "" : Path.GetFullPath(content.ModelDir));
        else HfModelFolder.Save(content.Model, tmp);
        if (!ReferenceEquals(owner, content.Model))
            Safetensors.Write(owner.state_dict().ToDictionary(p => p.Key, p => p.Value.detach().contiguous()), Path.Combine(tmp, TrainingTensors));
        if (content.ModelDir is { } modelDir) CopyTokenizer(modelDir, tmp);
        optimizer.Save(Path.Combine(tmp, Optimizer));
        using (var rng = random.get_rng_state())
            File.WriteAllBytes(Path.Combine(tmp, Rng), rng.data<byte>().ToArray());
        File.WriteAllText(Path.Combine(tmp, Scheduler), JsonSerializer.Serialize(new
        {
            lr_scheduler_type = schedule.Type, num_warmup_steps = schedule.WarmupSteps, num_training_steps = schedule.TotalSteps,
            last_step = step, lr_scheduler_kwargs = schedule.Kwargs,
        }));
        File.WriteAllText(Path.Combine(tmp, State), HfTrainerState(step, state, content).ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        if (keepLast is int keep)
            foreach (var old in List(outputDir).SkipLast(keep))
                Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Copies the tokenizer files <paramref name="from"/> holds (any of <see cref="TokenizerFiles"/>) into <paramref name="to"/>.</summary>
    internal static void CopyTokenizer(string from, string to)
    {
        foreach (var file in TokenizerFiles.Select(f => Path.Combine(from, f)).Where(File.Exists))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    /// <summary>transformers' TrainerState as trainer_state.json spells it, log_history from metrics.jsonl up to this step.</summary>
    private static JsonObject HfTrainerState(int step, TrainerState state, CheckpointContent content)
    {
        var history = new JsonArray();
        if (File.Exists(content.MetricsPath))
            foreach (var line in File.ReadLines(content.MetricsPath).Where(l => l.Length > 0))
                if (JsonNode.Parse(line) is JsonObject record && record["step"]?.GetValue<int>() <= step)
                    history.Add(record);
        var json = (JsonObject)content.HfState.DeepClone();
        json["global_step"] = step;
        json["log_history"] = history;
        json["best_metric"] = null;
        json["best_model_checkpoint"] = null;
        json["num_input_tokens_seen"] = state.TokensSeen;
        json["total_flos"] = 0;
        json["is_local_process_zero"] = true;
        json["is_world_process_zero"] = true;
        json["is_hyper_param_search"] = false;
        json["trial_name"] = null;
        json["trial_params"] = null;
        json["stateful_callbacks"] = new JsonObject();
        json[StateKey] = JsonSerializer.SerializeToNode(state);
        return json;
    }

    /// <summary>Complete checkpoints, oldest (lowest step) first.</summary>
    public static IReadOnlyList<string> List(string outputDir) =>
        Directory.Exists(Folder(outputDir))
            ? [.. Directory.GetDirectories(Folder(outputDir), Prefix + "*")
                .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, State))
                    && int.TryParse(Path.GetFileName(d).AsSpan(Prefix.Length), out _))
                .OrderBy(StepOf)]
            : [];

    /// <summary>Restores the trained tensors, optimizer and RNG from <paramref name="dir"/> and returns its trainer state.</summary>
    public static TrainerState Load(string dir, nn.Module owner, AdamW optimizer)
    {
        TrainedModel.RefuseLegacy(dir);
        var tensors = Path.Combine(dir, TrainingTensors);
        using (no_grad())
            Safetensors.ReadInto(File.Exists(tensors) ? tensors : HfModelFolder.WeightsPath(dir), owner.state_dict());
        optimizer.Load(Path.Combine(dir, Optimizer));
        using (var rng = tensor(File.ReadAllBytes(Path.Combine(dir, Rng))))
            random.set_rng_state(rng);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, State)))?[StateKey]
            ?? throw new InvalidDataException($"{Path.Combine(dir, State)}: no {StateKey} (not a checkpoint this trainer wrote).");
        return json.Deserialize<TrainerState>() ?? throw new InvalidDataException($"{Path.Combine(dir, State)}: empty {StateKey}");
    }
}
