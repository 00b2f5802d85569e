// How much worse than the current latest a new version may be and still become latest (from the target profile).
namespace Pipeline.Shared.Versions;

/// <param name="MaxRewardAccuracyDrop">Allowed drop of eval_rewards/accuracies (absolute, 0..1).</param>
/// <param name="MaxEvalLossIncrease">Allowed rise of eval_loss (absolute, in nats).</param>
public sealed record GateTolerances(double MaxRewardAccuracyDrop, double MaxEvalLossIncrease)
{
    public static readonly GateTolerances Default = new(0.02, 0.05);

    public void Validate()
    {
        if (!(MaxRewardAccuracyDrop is >= 0 and <= 1))
            throw new ArgumentException($"gate max_reward_accuracy_drop must be within 0..1, got {MaxRewardAccuracyDrop}");
        if (!(MaxEvalLossIncrease >= 0) || double.IsInfinity(MaxEvalLossIncrease))
            throw new ArgumentException($"gate max_eval_loss_increase must be a finite number >= 0, got {MaxEvalLossIncrease}");
    }
}
