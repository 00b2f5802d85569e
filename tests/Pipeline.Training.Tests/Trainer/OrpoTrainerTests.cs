// The training loop on the tiny Llama checkpoint, CPU: accumulation invariance, bitwise resume, the NaN guard and the
// files a run writes.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

public sealed class OrpoTrainerTests
{
    [Fact]
    public void Batch_8_with_accumulation_1_equals_batch_1_with_accumulation_8()
    {
        // 8 pairs of different lengths: the NLL is normalised by the chosen tokens of the whole optimizer step.
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        Assert.True(data.Pairs.Select(p => p.ChosenIds.Length).Distinct().Count() > 1);
        TrainProgress Step(int batch, int accumulation)
        {
            using var model = TrainingFixture.Model();
            var log = new ProgressLog();
            var config = TrainingFixture.SmallConfig with
            {
                PerDeviceTrainBatchSize = batch, GradientAccumulationSteps = accumulation, MaxSteps = 1, GroupByLength = false, WarmupSteps = 0,
            };
            using var scratch = new TempDir();
            OrpoTrainer.Train(model, data, null, config, scratch.Path, false, log, CancellationToken.None);
            return log.Reports.Single();
        }

        var whole = Step(8, 1);
        var accumulated = Step(1, 8);
        Assert.True(Math.Abs(whole.Loss - accumulated.Loss) < 1e-5, $"loss {whole.Loss} vs {accumulated.Loss}");
        Assert.True(Math.Abs(whole.GradNorm - accumulated.GradNorm) < 1e-5, $"grad_norm {whole.GradNorm} vs {accumulated.GradNorm}");
        Assert.True(Math.Abs(whole.Metrics["nll_loss"] - accumulated.Metrics["nll_loss"]) < 1e-5);
    }

    [Fact]
    public void Resumed_run_ends_with_weights_bitwise_identical_to_an_uninterrupted_run()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 16);
        var config = TrainingFixture.SmallConfig with { SaveSteps = 2, GradientAccumulationSteps = 2, PerDeviceTrainBatchSize = 2 };

        using var straight = TrainingFixture.Model();
        using var scratch = new TempDir();
        OrpoTrainer.Train(straight, data, null, config, scratch.Path, false, null, CancellationToken.None);

        // Killed after step 3 (checkpoint at step 2), then resumed in a fresh model from the base weights.
        using var scratch2 = new TempDir();
        var dir = scratch2.Path;
        TrainingFixture.TrainUntilCancelledAfter(3, data, config, dir);
        Assert.EndsWith("checkpoint-2", Checkpoint.List(dir)[^1]); // transformers' name

        using var resumed = TrainingFixture.Model();
        var result = OrpoTrainer.Train(resumed, data, null, config, dir, true, null, CancellationToken.None);

        Assert.Equal(2, result.ResumedFromStep);
        var expected = TrainingFixture.WeightBytes(straight);
        var actual = TrainingFixture.WeightBytes(resumed);
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (name, bytes) in expected)
            Assert.True(bytes.AsSpan().SequenceEqual(actual[name]), $"{name} differs after resume");
        Assert.NotEqual(expected.First().Value, TrainingFixture.WeightBytes(TrainingFixture.Model()).First().Value);
        // metrics.jsonl holds each step once.
        var steps = File.ReadAllLines(Path.Combine(dir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("step").GetInt32());
        Assert.Equal([1, 2, 3, 4, 5, 6], steps);
    }

    [Fact]
    public void Refuses_to_start_over_a_folder_with_checkpoints_unless_resuming()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 4);
        var config = TrainingFixture.SmallConfig with { MaxSteps = 1, SaveSteps = 1 };
        using var scratch = new TempDir();
        var dir = scratch.Path;
        using var model = TrainingFixture.Model();
        OrpoTrainer.Train(model, data, null, config, dir, false, null, CancellationToken.None);
        var e = Assert.Throws<IOException>(() => OrpoTrainer.Train(model, data, null, config, dir, false, null, CancellationToken.None));
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void Nonfinite_loss_stops_the_run_and_never_reaches_a_checkpoint()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        var config = TrainingFixture.SmallConfig with { SaveSteps = 1, PerDeviceTrainBatchSize = 2 };
        using var scratch = new TempDir();
        var dir = scratch.Path;
        using var model = TrainingFixture.Model();
        Poison(model, forwardCall: 3);

        var e = Assert.Throws<NonFiniteLossException>(() => OrpoTrainer.Train(model, data, null, config, dir, false, null, CancellationToken.None));
        Assert.Contains("step 3", e.Message);
        Assert.Equal(2, Checkpoint.List(dir).Count);
        foreach (var (_, t) in model.state_dict())
            Assert.True(t.isfinite().all().item<bool>(), "weights were updated with a non-finite gradient");
    }

    [Fact]
    public void Nonfinite_step_is_skipped_and_counted_when_configured()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        var config = TrainingFixture.SmallConfig with { PerDeviceTrainBatchSize = 2, SkipNonfiniteSteps = true };
        using var model = TrainingFixture.Model();
        Poison(model, forwardCall: 3);

        using var scratch = new TempDir();
        var result = OrpoTrainer.Train(model, data, null, config, scratch.Path, false, null, CancellationToken.None);

        Assert.Equal(1, result.SkippedSteps);
        Assert.Equal(6, result.GlobalStep);
        Assert.True(double.IsFinite(result.TrainLoss));
        foreach (var (_, t) in model.state_dict())
            Assert.True(t.isfinite().all().item<bool>());
    }

    /// <summary>
    /// Turns the output of the first layer's q_proj NaN on one forward call, standing in for a diverged run: a forward hook
    /// on a real module, so the step's own path (chunked log-probs, device-side clipping, the guard) meets the NaN.
    /// </summary>
    private static void Poison(Pipeline.Training.Model.CausalLm model, int forwardCall)
    {
        var calls = 0;
        var q = (TorchSharp.Modules.Linear)model.named_modules().Single(m => m.name == "model.layers.0.self_attn.q_proj").module;
        q.register_forward_hook((_, _, y) => ++calls == forwardCall ? y * float.NaN : y);
    }
}
