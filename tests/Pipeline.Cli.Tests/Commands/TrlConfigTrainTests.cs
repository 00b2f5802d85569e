// `train --config orpo.yaml` as a TRL user runs it: the file loads with a warning per key without effect, ratio step
// keys resolve against the total steps, updates per epoch and the logged epoch follow current transformers, and the
// log says which precision ran.
using System.Text.Json;
using Pipeline.Cli.Commands;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests.Commands;

[Collection(nameof(GlobalStateCollection))]
public sealed class TrlConfigTrainTests
{
    [Fact]
    public async Task A_TRL_YAML_config_trains_with_transformers_epochs_ratio_logging_and_the_precision_logged()
    {
        using var scratch = new TempDir();
        var root = scratch.Path;
        var config = Path.Combine(root, "orpo.yaml");
        // 6 pairs in batches of 2 = 3 batches an epoch; accumulation 2 gives transformers' ceil(3 / 2) = 2 updates an
        // epoch, the second with the epoch's last batch alone: 2 epochs = 4 steps, logged at epochs 2/3, 1, 5/3, 2.
        File.WriteAllText(config, """
            output_dir: ./ignored
            report_to: [tensorboard]
            optim: adamw_torch
            num_train_epochs: 2
            per_device_train_batch_size: 2
            gradient_accumulation_steps: 2
            learning_rate: 1e-3
            logging_steps: 0.25
            save_strategy: "no"
            """);
        var run = Path.Combine(root, "run");
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        var (previousOut, previousErr) = (Console.Out, Console.Error);
        Console.SetOut(stdout);
        Console.SetError(stderr);
        int code;
        try
        {
            code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", Path.Combine(RepoPaths.TinyLlama, "data.jsonl"),
                "--output", run, "--config", config]);
        }
        finally
        {
            Console.SetOut(previousOut);
            Console.SetError(previousErr);
        }

        Assert.True(code == 0, stderr.ToString() + stdout);
        var warnings = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["warning: output_dir has no effect here", "warning: report_to has no effect here", "warning: optim has no effect here"],
            warnings.Select(w => w[..w.IndexOf(':', "warning: ".Length)]));
        Assert.Contains("precision: float32", stdout.ToString());
        Assert.Equal("float32", JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "train_summary.json"))).RootElement.GetProperty("precision").GetString());

        var logged = File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal([1, 2, 3, 4], logged.Select(l => l.GetProperty("step").GetInt32())); // logging_steps 0.25 of 4 steps = 1
        Assert.Equal([0.666667, 1.0, 1.666667, 2.0], logged.Select(l => l.GetProperty("epoch").GetDouble()));
        Assert.False(Directory.Exists(Path.Combine(run, "checkpoints")) && Directory.EnumerateDirectories(Path.Combine(run, "checkpoints")).Any());
    }
}
