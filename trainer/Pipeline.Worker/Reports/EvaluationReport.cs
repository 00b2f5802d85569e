// eval/report.json of a model version: metrics before and after training on the held-out split, the current latest's
// metrics, the training curves, sample generations and the gate's decision with its numbers.
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker.Reports;

public sealed record EvaluationReport
{
    public required string Target { get; init; }
    public required string Version { get; init; }
    public required string RunId { get; init; }
    public required string RequestId { get; init; }
    public required IReadOnlyList<string> DatasetIds { get; init; }
    public required string BaseModel { get; init; }
    /// <summary>Held-out pairs the eval_* metrics are computed over.</summary>
    public required int EvalPairs { get; init; }
    /// <summary>The model training started from, on the held-out split.</summary>
    public required IReadOnlyDictionary<string, double> MetricsBefore { get; init; }
    public required IReadOnlyDictionary<string, double> MetricsAfter { get; init; }
    /// <summary>The target's latest version when the run finished, and its metrics on the same held-out split.</summary>
    public string? LatestVersion { get; init; }
    public IReadOnlyDictionary<string, double>? MetricsLatest { get; init; }
    public required GateDecision Gate { get; init; }
    /// <summary>Logged training metrics (TRL names: loss, rewards/accuracies, ...) by optimizer step.</summary>
    public required IReadOnlyList<HistoryPoint> History { get; init; }
    public required IReadOnlyList<SampleGeneration> Samples { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record HistoryPoint(int Step, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Greedy completions of one held-out prompt by the model before and after training.</summary>
public sealed record SampleGeneration(string Prompt, string Before, string After);
