// The evaluation gate's tolerances (`training.gate` of a target profile): how much worse than the current latest a new
// version may be and still become latest. Also recorded with every gate decision.
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Targets;

public sealed record GateTolerances
{
    public static readonly GateTolerances Default = new();

    /// <summary>Allowed drop of eval_rewards/accuracies (absolute, 0..1).</summary>
    [JsonPropertyName("max_reward_accuracy_drop")] public double MaxRewardAccuracyDrop { get; init; } = 0.02;

    /// <summary>Allowed rise of eval_loss (absolute, in nats).</summary>
    [JsonPropertyName("max_eval_loss_increase")] public double MaxEvalLossIncrease { get; init; } = 0.05;

    /// <summary>Every invalid value, named by its profile key; empty when valid.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (!(MaxRewardAccuracyDrop is >= 0 and <= 1)) p.Add("training.gate.max_reward_accuracy_drop must be between 0 and 1");
        if (!(MaxEvalLossIncrease >= 0) || double.IsInfinity(MaxEvalLossIncrease))
            p.Add("training.gate.max_eval_loss_increase must be a finite number >= 0");
        return p;
    }
}
