// eval/report.json of a model version: metrics before and after training on the held-out pairs, the current latest's
// metrics, the training curves, each held-out pair, sample generations, the on-policy rate and the gate's decision.
using System.Text.Json.Serialization;
using Pipeline.Shared.Contracts;

namespace Pipeline.Worker.Reports;

public sealed record EvaluationReport
{
    public required string Target { get; init; }
    public required string Version { get; init; }
    public required string RunId { get; init; }
    public required string RequestId { get; init; }
    public required IReadOnlyList<string> DatasetIds { get; init; }
    public required string BaseModel { get; init; }
    /// <summary>The version training started from; null from the base model.</summary>
    public string? ParentVersion { get; init; }
    /// <summary>Held-out pairs the eval_* metrics are computed over.</summary>
    public required int EvalPairs { get; init; }
    /// <summary>Where the held-out pairs come from: this run's datasets, then those behind the current latest.</summary>
    public IReadOnlyList<HeldOutSource> HeldOutSources { get; init; } = [];
    /// <summary>The model training started from, on the held-out pairs.</summary>
    public required IReadOnlyDictionary<string, double> MetricsBefore { get; init; }
    public required IReadOnlyDictionary<string, double> MetricsAfter { get; init; }
    /// <summary>The target's latest version when the run finished, and its metrics on the same held-out pairs.</summary>
    public string? LatestVersion { get; init; }
    public IReadOnlyDictionary<string, double>? MetricsLatest { get; init; }
    public required GateDecision Gate { get; init; }
    /// <summary>Logged training and evaluation metrics (TRL names: loss, rewards/accuracies, eval_loss, ...) by optimizer step.</summary>
    public required IReadOnlyList<HistoryPoint> History { get; init; }
    /// <summary>Every held-out pair with its log-probabilities before and after training.</summary>
    public IReadOnlyList<HeldOutPair> HeldOut { get; init; } = [];
    public required IReadOnlyList<SampleGeneration> Samples { get; init; }
    /// <summary>The on-policy rate of sampled answers, when the host has a <see cref="PolicyCheck"/>.</summary>
    public PolicyReport? Policy { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record HistoryPoint(int Step, IReadOnlyDictionary<string, double> Metrics);

/// <summary>Completions of one held-out prompt by the model before and after training (greedy), with the policy rule's
/// marks when the host has one.</summary>
public sealed record SampleGeneration(string Prompt, string Before, string After, AnswerMark? BeforeMark = null, AnswerMark? AfterMark = null);

/// <param name="Origin">"this run", or the version whose training data it held out ("v0002").</param>
public sealed record HeldOutSource(string DatasetId, int Pairs, string Origin);

/// <summary>A held-out pair (the user's message and the two answers) and the mean log-probability per token of each
/// answer before and after training; the model prefers the answer with the higher one.</summary>
public sealed record HeldOutPair(
    string DatasetId, string Prompt, string Chosen, string Rejected,
    double ChosenLogpsBefore, double RejectedLogpsBefore, double ChosenLogpsAfter, double RejectedLogpsAfter)
{
    [JsonIgnore] public bool PrefersChosenBefore => ChosenLogpsBefore > RejectedLogpsBefore;
    [JsonIgnore] public bool PrefersChosenAfter => ChosenLogpsAfter > RejectedLogpsAfter;
}

/// <summary>Answers sampled on held-out prompts by the model before and after training, marked by the host's rule.</summary>
/// <param name="Examples">The first sampled answer of the first few prompts, before and after.</param>
public sealed record PolicyReport(
    string Rule, int Prompts, int SamplesPerPrompt, double Temperature, double TopP,
    PolicyRate Before, PolicyRate After, IReadOnlyList<SampleGeneration> Examples);

public static class HeldOutOrigin
{
    /// <summary>The origin of held-out pairs from the datasets the run trained on.</summary>
    public const string ThisRun = "this run";
}
