// TRL's own ORPOTrainer trajectory as outside truth: `pipeline train` with the reference's config (TRL names, as its
// user wrote it) must match TRL step by step (loss, nll_loss, grad_norm, applied learning rate, ORPO metrics) and
// tensor by tensor (final weights), within the float32 noise between two correct implementations.
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Cli.Commands;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Cli.Tests.Commands;

[Collection(nameof(GlobalStateCollection))]
public sealed class TrlTrajectoryTests(ITestOutputHelper output)
{
    private static string Reference => Path.Combine(RepoPaths.TinyLlama, "trl-trajectory");

    // The README's noise: about 3e-7 relative on loss and grad_norm (measured here: at most 7.4e-7 on every logged
    // value); per tensor, RMS of the weight difference within 2e-4 of the RMS of TRL's change, the largest element
    // within 1e-2 of the tensor's largest change.
    private const double StepRelative = 1e-6, StepAbsolute = 1e-7, WeightRms = 2e-4, WeightMax = 1e-2;

    /// <summary>
    /// Logged every step, each record is that step's. Every 2 steps, as transformers logs a window: loss and the ORPO
    /// metrics are the window's mean, grad_norm and learning_rate the last step's own (a window mean of grad_norm fails).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Train_with_TRLs_config_follows_TRLs_trajectory_step_by_step_and_ends_at_TRLs_weights(int loggingSteps)
    {
        var trajectory = JsonNode.Parse(File.ReadAllText(Path.Combine(Reference, "trl_trajectory.json")))!.AsObject();
        using var scratch = new TempDir();
        var root = scratch.Path;
        var config = Path.Combine(root, "orpo.json");
        File.WriteAllText(config, trajectory["config"]!.ToJsonString()); // as TRL ran it, optim: adamw_torch included
        var run = Path.Combine(root, "run");

        var code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", Path.Combine(RepoPaths.TinyLlama, "data.jsonl"),
            "--output", run, "--config", config, "--logging_steps", $"{loggingSteps}"]);
        Assert.Equal(0, code);

        var logged = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(l => l.TryGetProperty("loss", out _)).ToList();
        var steps = trajectory["steps"]!.AsArray().Select(s => s!.AsObject()).ToList();
        Assert.Equal(steps.Count / loggingSteps, logged.Count);
        double lossD = 0, normD = 0, metricD = 0;
        for (var i = 0; i < logged.Count; i++)
        {
            var window = steps.Skip(i * loggingSteps).Take(loggingSteps).ToList();
            var last = window[^1];
            var ours = logged[i];
            double Mean(string key) => window.Average(s => s[key]!.GetValue<double>());
            Assert.Equal(last["step"]!.GetValue<int>(), ours.GetProperty("step").GetInt32());
            lossD = Math.Max(lossD, Relative(Mean("loss_exact"), ours.GetProperty("loss").GetDouble(), $"step {last["step"]} loss"));
            normD = Math.Max(normD, Relative(last["grad_norm"]!.GetValue<double>(), ours.GetProperty("grad_norm").GetDouble(), $"step {last["step"]} grad_norm"));
            Assert.Equal(last["lr_applied"]!.GetValue<double>(), ours.GetProperty("learning_rate").GetDouble(), 1e-15);
            foreach (var key in last.Select(p => p.Key).Where(k => k is not ("step" or "loss_exact" or "grad_norm" or "lr_applied")))
                metricD = Math.Max(metricD, Relative(Mean(key), ours.GetProperty(key).GetDouble(), $"step {last["step"]} {key}"));
        }
        output.WriteLine($"per step vs TRL: max relative |d| loss {lossD:e2}, grad_norm {normD:e2}, ORPO metrics {metricD:e2}");

        var initial = Safetensors.Read(Path.Combine(RepoPaths.TinyLlama, "model.safetensors"));
        var expected = Safetensors.Read(Path.Combine(Reference, "trl_final.safetensors"));
        var actual = Safetensors.Read(Path.Combine(run, "model.safetensors"));
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double worstRms = 0, worstMax = 0;
        foreach (var (name, trlFinal) in expected)
        {
            using var scope = NewDisposeScope();
            var change = trlFinal.to_type(ScalarType.Float64) - initial[name].to_type(ScalarType.Float64);
            var diff = actual[name].to_type(ScalarType.Float64) - trlFinal.to_type(ScalarType.Float64);
            var changeRms = change.square().mean().item<double>() is var m and > 0 ? Math.Sqrt(m) : 0;
            var rms = Math.Sqrt(diff.square().mean().item<double>()) / changeRms;
            var max = diff.abs().max().item<double>() / change.abs().max().item<double>();
            Assert.True(changeRms > 0, $"{name}: TRL changed nothing");
            Assert.True(rms <= WeightRms, $"{name}: RMS of the difference is {rms:e2} of TRL's change");
            Assert.True(max <= WeightMax, $"{name}: largest element difference is {max:e2} of TRL's largest change");
            (worstRms, worstMax) = (Math.Max(worstRms, rms), Math.Max(worstMax, max));
        }
        output.WriteLine($"final weights vs TRL: worst per-tensor RMS(diff)/RMS(change) {worstRms:e2}, max|diff|/max|change| {worstMax:e2}");
        foreach (var t in initial.Values.Concat(expected.Values).Concat(actual.Values)) t.Dispose();
    }

    /// <summary>Asserts |d| within the noise; returns it relative to TRL's value (0 where both are 0).</summary>
    private static double Relative(double trl, double ours, string what)
    {
        var d = Math.Abs(trl - ours);
        Assert.True(d <= StepRelative * Math.Abs(trl) + StepAbsolute, $"{what}: TRL {trl}, ours {ours} (|d| {d:e2})");
        return trl == 0 ? 0 : d / Math.Abs(trl);
    }
}
