using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests.Contracts;

public sealed class GateDecisionTests
{
    private static readonly GateTolerances Tolerances = new() { MaxRewardAccuracyDrop = 0.05, MaxEvalLossIncrease = 0.1 };

    private static Dictionary<string, double> Metrics(double acc, double loss) =>
        new() { [GateDecision.AccuracyMetric] = acc, [GateDecision.LossMetric] = loss };

    private static LatestPointer Latest(double acc, double loss) => new()
    {
        Target = "agent", Version = "v0003", RunId = "run-x", Metrics = Metrics(acc, loss), UpdatedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public void Passes_the_first_version_of_a_target()
    {
        var d = GateDecision.Evaluate(Metrics(0.5, 2.0), null, Tolerances);
        Assert.True(d.Passed);
        Assert.Null(d.ComparedWith);
    }

    [Fact]
    public void Passes_a_version_slightly_worse_than_latest_within_tolerances()
    {
        var d = GateDecision.Evaluate(Metrics(0.76, 1.08), Latest(0.8, 1.0), Tolerances);
        Assert.True(d.Passed, d.Reason);
        Assert.Equal("v0003", d.ComparedWith);
        Assert.Equal(0.8, d.LatestAccuracy);
        Assert.Equal(1.08, d.CandidateLoss);
    }

    [Fact]
    public void Rejects_a_version_whose_reward_accuracy_drops_more_than_the_tolerance()
    {
        var d = GateDecision.Evaluate(Metrics(0.74, 1.0), Latest(0.8, 1.0), Tolerances);
        Assert.False(d.Passed);
        Assert.Contains("eval_rewards/accuracies 0.7400 is 0.0600 below v0003's 0.8000", d.Reason);
    }

    [Fact]
    public void Rejects_a_version_whose_eval_loss_rises_more_than_the_tolerance()
    {
        var d = GateDecision.Evaluate(Metrics(0.9, 1.2), Latest(0.8, 1.0), Tolerances);
        Assert.False(d.Passed);
        Assert.Contains("eval_loss 1.2000 is 0.2000 above v0003's 1.0000", d.Reason);
    }

    [Fact]
    public void Rejects_a_candidate_with_a_non_finite_loss()
    {
        var d = GateDecision.Evaluate(Metrics(0.9, double.NaN), null, Tolerances);
        Assert.False(d.Passed);
    }
}
