// The layout of a training output folder (`train --output`, a worker run's output): what `train` writes where, so the
// worker and the CLI name these files in one way.
namespace Pipeline.Training.Trainer;

public static class TrainOutput
{
    /// <summary>Training log: one JSON object per logging step and per evaluation.</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>The run's final figures (steps, loss, speed, pairs used and dropped).</summary>
    public const string SummaryFile = "train_summary.json";

    /// <summary>The ORPO config as the run used it.</summary>
    public const string ConfigFile = "orpo_config.json";

    /// <summary>TensorBoard event files.</summary>
    public const string TensorBoardFolder = "runs";

    /// <summary>Resumable checkpoints.</summary>
    public const string CheckpointsFolder = "checkpoints";

    /// <summary>With use_peft and merge_adapter: the adapter merged into full weights, a complete model folder.</summary>
    public const string MergedFolder = "merged";

    /// <summary>The files of the folder that are logs of the run, not part of the model.</summary>
    public static readonly IReadOnlySet<string> LogFiles = new HashSet<string>([MetricsFile, SummaryFile, ConfigFile], StringComparer.Ordinal);
}
