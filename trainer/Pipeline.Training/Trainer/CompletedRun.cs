// A run whose output folder already holds everything it writes at the end (summary, weights or adapter, tokenizer):
// `--resume` on it changes nothing and reports "already complete" instead of failing at the final save.
using System.Text.Json;
using Pipeline.Training.Checkpoints;

namespace Pipeline.Training.Trainer;

internal static class CompletedRun
{
    public const string SummaryFileName = TrainOutput.SummaryFile;

    /// <summary>
    /// The finished run in <see cref="TrainJob.OutputDir"/>, or null when some final output is missing (then the run
    /// resumes from its latest checkpoint). A finished run with another config is an error: it would not be continued.
    /// </summary>
    public static TrainResult? TryRead(TrainJob job, IReadOnlyList<string> tokenizerFiles)
    {
        var dir = job.OutputDir;
        var summaryPath = Path.Combine(dir, SummaryFileName);
        if (!File.Exists(summaryPath) || !FinalOutputsExist(job, tokenizerFiles))
            return null;
        var configPath = Path.Combine(dir, TrainOutput.ConfigFile);
        if (File.Exists(configPath) && File.ReadAllText(configPath) != job.Config.ToJson())
            throw new InvalidDataException($"{dir}: holds a finished run with a different configuration ({configPath}); " +
                "resume it with the same settings, or train into an empty folder.");
        var s = JsonDocument.Parse(File.ReadAllText(summaryPath)).RootElement;
        var step = s.GetProperty("global_step").GetInt32();
        return new TrainResult(
            step, step, s.GetProperty("train_loss").GetDouble(), s.GetProperty("train_runtime").GetDouble(),
            s.GetProperty("train_samples_per_second").GetDouble(), s.GetProperty("train_tokens_per_second").GetDouble(),
            s.GetProperty("peak_memory_bytes").GetInt64(), s.GetProperty("pairs_used").GetInt32(), s.GetProperty("pairs_dropped").GetInt32(),
            s.GetProperty("skipped_steps").GetInt32(), s.GetProperty("padding_share").GetDouble(),
            s.GetProperty("resumed_from_step").ValueKind == JsonValueKind.Number ? s.GetProperty("resumed_from_step").GetInt32() : null,
            dir)
        { AlreadyComplete = true };
    }

    private static bool FinalOutputsExist(TrainJob job, IReadOnlyList<string> tokenizerFiles)
    {
        var dir = job.OutputDir;
        bool HasWeights(string d) =>
            File.Exists(Path.Combine(d, HfModelFolder.WeightsFileName)) || File.Exists(Path.Combine(d, Safetensors.IndexFileName));
        var weights = job.Config.UsePeft ? File.Exists(Path.Combine(dir, "adapter_model.safetensors")) : HasWeights(dir);
        var merged = !job.Config.UsePeft || !job.Config.MergeAdapter || HasWeights(Path.Combine(dir, TrainOutput.MergedFolder));
        // The tokenizer is copied last: its presence means the final save finished.
        var tokenizer = tokenizerFiles.Where(f => File.Exists(Path.Combine(job.ModelDir, f))).All(f => File.Exists(Path.Combine(dir, f)));
        return weights && merged && tokenizer;
    }
}
