// The evaluation gate: a new version becomes latest only when it is not worse than the current latest by more than
// the tolerances on eval_rewards/accuracies and eval_loss. The decision and its numbers go into manifest and report.
using Pipeline.Shared.Targets;
namespace Pipeline.Shared.Contracts;

public sealed record GateDecision
{
    public const string AccuracyMetric = "eval_rewards/accuracies";
    public const string LossMetric = "eval_loss";

    public required bool Passed { get; init; }
    public required string Reason { get; init; }
    /// <summary>The latest version compared against; null when the target had none.</summary>
    public string? ComparedWith { get; init; }
    public double? CandidateAccuracy { get; init; }
    public double? LatestAccuracy { get; init; }
    public double? CandidateLoss { get; init; }
    public double? LatestLoss { get; init; }
    public required GateTolerances Tolerances { get; init; }

    public static GateDecision Evaluate(
        IReadOnlyDictionary<string, double> candidate, LatestPointer? latest, GateTolerances tolerances)
    {
        var acc = Get(candidate, AccuracyMetric);
        var loss = Get(candidate, LossMetric);
        var decision = new GateDecision
        {
            Passed = false, Reason = "", Tolerances = tolerances, CandidateAccuracy = acc, CandidateLoss = loss,
            ComparedWith = latest?.Version,
            LatestAccuracy = latest is null ? null : Get(latest.Metrics, AccuracyMetric),
            LatestLoss = latest is null ? null : Get(latest.Metrics, LossMetric),
        };
        if (acc is null || loss is null || !double.IsFinite(acc.Value) || !double.IsFinite(loss.Value))
            return decision with { Reason = $"candidate lacks finite {AccuracyMetric} and {LossMetric}" };
        if (latest is null)
            return decision with { Passed = true, Reason = "first version of the target" };
        if (decision.LatestAccuracy is not { } latestAcc || decision.LatestLoss is not { } latestLoss)
            return decision with { Passed = true, Reason = $"latest {latest.Version} has no {AccuracyMetric}/{LossMetric} to compare with" };

        var accDrop = latestAcc - acc.Value;
        var lossRise = loss.Value - latestLoss;
        if (accDrop > tolerances.MaxRewardAccuracyDrop + 1e-12)
            return decision with
            {
                Reason = $"{AccuracyMetric} {acc:F4} is {accDrop:F4} below {latest.Version}'s {latestAcc:F4} (tolerance {tolerances.MaxRewardAccuracyDrop:F4})",
            };
        if (lossRise > tolerances.MaxEvalLossIncrease + 1e-12)
            return decision with
            {
                Reason = $"{LossMetric} {loss:F4} is {lossRise:F4} above {latest.Version}'s {latestLoss:F4} (tolerance {tolerances.MaxEvalLossIncrease:F4})",
            };
        return decision with
        {
            Passed = true,
            Reason = $"{AccuracyMetric} {acc:F4} vs {latestAcc:F4} and {LossMetric} {loss:F4} vs {latestLoss:F4} within tolerances",
        };
    }

    private static double? Get(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.TryGetValue(name, out var v) ? v : null;
}
