// A resumable checkpoint: checkpoints/checkpoint-NNNNNN/ with weights (TorchSharp format, bit exact), AdamW state,
// the torch RNG state and trainer_state.json (step, data position, running sums). Written to a temp folder, then renamed.
using System.Text.Json;
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

public static class Checkpoint
{
    private const string Weights = "weights.dat", Optimizer = "adamw_state.bin", Rng = "rng_state.bin", State = "trainer_state.json";

    public static string Folder(string outputDir) => Path.Combine(outputDir, TrainOutput.CheckpointsFolder);

    public static string Save(string outputDir, int step, nn.Module model, AdamW optimizer, TrainerState state, int? keepLast)
    {
        var root = Folder(outputDir);
        Directory.CreateDirectory(root);
        var final = Path.Combine(root, $"checkpoint-{step:D6}");
        var tmp = final + ".tmp";
        if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        Directory.CreateDirectory(tmp);
        model.save(Path.Combine(tmp, Weights));
        optimizer.Save(Path.Combine(tmp, Optimizer));
        using (var rng = random.get_rng_state())
            File.WriteAllBytes(Path.Combine(tmp, Rng), rng.data<byte>().ToArray());
        File.WriteAllText(Path.Combine(tmp, State), JsonSerializer.Serialize(state));
        if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
        Directory.Move(tmp, final);
        if (keepLast is int keep)
            foreach (var old in List(outputDir).SkipLast(keep))
                Directory.Delete(old, recursive: true);
        return final;
    }

    /// <summary>Complete checkpoints, oldest first.</summary>
    public static IReadOnlyList<string> List(string outputDir) =>
        Directory.Exists(Folder(outputDir))
            ? [.. Directory.GetDirectories(Folder(outputDir), "checkpoint-*")
                .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, State)))
                .Order(StringComparer.Ordinal)]
            : [];

    /// <summary>Restores weights, optimizer and RNG from <paramref name="dir"/> and returns its trainer state.</summary>
    public static TrainerState Load(string dir, nn.Module model, AdamW optimizer)
    {
        model.load(Path.Combine(dir, Weights));
        optimizer.Load(Path.Combine(dir, Optimizer));
        using (var rng = tensor(File.ReadAllBytes(Path.Combine(dir, Rng))))
            random.set_rng_state(rng);
        return JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(dir, State)))
            ?? throw new InvalidDataException($"{dir}/{State}: empty");
    }
}
