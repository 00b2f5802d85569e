// bf16 training: bfloat16 forward/backward with float32 master weights; ends with a float32 model that tracks the
// float32 run closely, and resumes bitwise.
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;
using Pipeline.Testing;

namespace Pipeline.Training.Tests.Trainer;

public sealed class Bf16Tests(ITestOutputHelper output)
{
    [Fact]
    public void Bf16_run_keeps_float32_master_weights_and_tracks_the_float32_run()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 16);
        var config = TrainingFixture.SmallConfig with { LearningRate = 1e-3 };
        (TrainResult Result, List<TrainProgress> Log, Dictionary<string, Tensor> State) Run(bool bf16)
        {
            var model = TrainingFixture.Model();
            var log = new ProgressLog();
            using var scratch = new TempDir();
            var result = OrpoTrainer.Train(model, data, null, config with { Bf16 = bf16 }, scratch.Path, false, log, CancellationToken.None);
            return (result, log.Reports, model.state_dict());
        }

        var fp32 = Run(false);
        var bf16 = Run(true);

        Assert.All(bf16.State.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
        // Per-step loss drift stays at bf16 rounding level (~1e-2 relative), far below the change training makes.
        for (var i = 0; i < fp32.Log.Count; i++)
            Assert.True(Math.Abs(fp32.Log[i].Loss - bf16.Log[i].Loss) < 0.02 * fp32.Log[i].Loss, $"step {i + 1}: {fp32.Log[i].Loss} vs {bf16.Log[i].Loss}");
        Assert.True(bf16.Log[^1].Loss < bf16.Log[0].Loss);
        var drift = bf16.State.Max(kv => (kv.Value - fp32.State[kv.Key]).abs().max().item<float>());
        output.WriteLine($"loss fp32 {fp32.Log[^1].Loss:0.000000} bf16 {bf16.Log[^1].Loss:0.000000}; max |weight drift| {drift:E2}; " +
            $"tokens/s fp32 {fp32.Result.TrainTokensPerSecond:0} bf16 {bf16.Result.TrainTokensPerSecond:0}");
        Assert.True(drift is > 0 and < 5e-3f, $"max weight drift {drift}");
    }

    [Fact]
    public void Bf16_run_resumes_bitwise()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        var config = TrainingFixture.SmallConfig with { Bf16 = true, SaveSteps = 2, PerDeviceTrainBatchSize = 2 };
        using var straight = TrainingFixture.Model();
        using var scratch = new TempDir();
        OrpoTrainer.Train(straight, data, null, config, scratch.Path, false, null, CancellationToken.None);

        using var scratch2 = new TempDir();
        var dir = scratch2.Path;
        TrainingFixture.TrainUntilCancelledAfter(3, data, config, dir);
        using var resumed = TrainingFixture.Model();
        OrpoTrainer.Train(resumed, data, null, config, dir, true, null, CancellationToken.None);

        var expected = TrainingFixture.WeightBytes(straight);
        foreach (var (name, bytes) in TrainingFixture.WeightBytes(resumed))
            Assert.True(bytes.AsSpan().SequenceEqual(expected[name]), name);
    }
}
