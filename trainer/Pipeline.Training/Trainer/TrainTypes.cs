// What the training engine takes and gives back: the job, progress reports and the typed result.
using Pipeline.Shared.Orpo;
namespace Pipeline.Training.Trainer;

/// <summary>A training run: base model folder, data (file or dataset folder), output folder, hyper-parameters.</summary>
public sealed record TrainJob(
    string ModelDir,
    string DataPath,
    string OutputDir,
    OrpoConfig Config,
    bool Resume = false,
    string? EvalDataPath = null,
    string Device = "cpu");

/// <summary>One report per logging_steps (and one per evaluation, with Eval set).</summary>
public sealed record TrainProgress(
    int Step,
    int TotalSteps,
    double Epoch,
    double Loss,
    double LearningRate,
    double GradNorm,
    double TokensPerSecond,
    TimeSpan Eta,
    IReadOnlyDictionary<string, double> Metrics,
    bool IsEval = false)
{
    /// <summary>A one-off message instead of figures (e.g. "already complete" on resuming a finished run).</summary>
    public string? Note { get; init; }

    public string ToLine() => Note is not null ? $"step {Step}/{TotalSteps}  {Note}" : IsEval
        ? $"eval  step {Step}/{TotalSteps}  " + string.Join("  ", Metrics.Select(m => $"{m.Key} {m.Value:0.####}"))
        : $"step {Step}/{TotalSteps}  loss {Loss:0.0000}  lr {LearningRate:0.000e+0}  grad_norm {GradNorm:0.000}  " +
          $"{TokensPerSecond:0} tok/s  ETA {Eta:hh\\:mm\\:ss}";
}

public sealed record TrainResult(
    int GlobalStep,
    int TotalSteps,
    double TrainLoss,
    double TrainRuntimeSeconds,
    double TrainSamplesPerSecond,
    double TrainTokensPerSecond,
    long PeakMemoryBytes,
    int PairsUsed,
    int PairsDropped,
    int SkippedSteps,
    double PaddingShare,
    int? ResumedFromStep,
    string OutputDir)
{
    /// <summary>True when --resume found the run finished: nothing was trained or written, figures are the summary's.</summary>
    public bool AlreadyComplete { get; init; }

    /// <summary>What <see cref="PeakMemoryBytes"/> measures: "cpu_rss" (peak RSS of the run) or "cuda_device_in_use".</summary>
    public string PeakMemoryKind { get; init; } = "cpu_rss";
    /// <summary>Memory once the model, adapter and optimizer were in place, before the first step.</summary>
    public long MemoryAfterSetupBytes { get; init; }
    /// <summary>The most memory seen between two steps: what steps leave behind (compare with <see cref="MemoryAfterSetupBytes"/>).</summary>
    public long MemoryBetweenStepsBytes { get; init; }
    /// <summary>Training pairs cut to fit max_length (kept, not dropped) and the tokens cut from them.</summary>
    public int PairsTruncated { get; init; }
    public long TokensTruncated { get; init; }
}

/// <summary>The run stopped because a loss or gradient was NaN or infinite; the last good checkpoint stays.</summary>
public sealed class NonFiniteLossException(string message) : Exception(message);
