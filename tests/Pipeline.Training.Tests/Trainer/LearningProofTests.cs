// Proof that ORPO training learns: on the committed synthetic set (polite, on-topic chosen vs curt rejected replies;
// tools/synthetic_preferences.py) the held-out reward accuracy rises to >= 0.9 and the log odds of chosen rise.
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Trainer;
using Xunit.Abstractions;

namespace Pipeline.Training.Tests.Trainer;

public sealed class LearningProofTests(ITestOutputHelper output)
{
    [Fact]
    public void Held_out_reward_accuracy_reaches_0_9_and_log_odds_rise()
    {
        var train = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"));
        var eval = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "eval.jsonl"));
        using var model = TrainingFixture.Model();
        var before = OrpoEvaluator.Evaluate(model, eval.Pairs, 0.1, 32, eval.PadTokenId).Metrics;

        var config = TrainingFixture.SmallConfig with
        {
            LearningRate = 2e-3, PerDeviceTrainBatchSize = 8, MaxSteps = 40, LoggingSteps = 10, EvalSteps = 20, WarmupSteps = 4,
        };
        var log = new ProgressLog();
        using var scratch = new TempDir();
        OrpoTrainer.Train(model, train, eval, config, scratch.Path, false, log, CancellationToken.None);
        var after = log.Reports.Last(r => r.IsEval).Metrics;
        foreach (var key in new[] { "eval_rewards/accuracies", "eval_log_odds_chosen", "eval_loss" })
            output.WriteLine($"{key}: {before[key]:0.0000} -> {after[key]:0.0000}");

        Assert.True(after["eval_rewards/accuracies"] >= 0.9,
            $"accuracy {before["eval_rewards/accuracies"]} -> {after["eval_rewards/accuracies"]}");
        Assert.True(after["eval_log_odds_chosen"] > before["eval_log_odds_chosen"] + 1.0,
            $"log_odds_chosen {before["eval_log_odds_chosen"]} -> {after["eval_log_odds_chosen"]}");
        Assert.True(after["eval_loss"] < before["eval_loss"]);
    }
}
