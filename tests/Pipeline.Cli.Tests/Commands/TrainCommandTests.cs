// The `train` and `eval` verbs, run in-process through the real command line.
using System.Text.Json;
using Pipeline.Cli.Commands;
using Pipeline.Cli.Tests;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Evaluation;

namespace Pipeline.Cli.Tests.Commands;

[Collection(nameof(GlobalStateCollection))]
public sealed class TrainCommandTests
{
    [Fact]
    public async Task Eval_writes_the_eval_metrics_of_the_reference()
    {
        using var scratch = new TempDir();
        var report = scratch.File("report.json");
        var code = await CommandLine.RunAsync(["eval", "--model", RepoPaths.TinyLlama, "--data", Path.Combine(RepoPaths.TinyLlama, "data.jsonl"),
            "--beta", "0.1", "--batch-size", "4", "--output", report]);

        Assert.Equal(0, code);
        var metrics = JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("metrics");
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "expected_eval.json"))).RootElement.GetProperty("metrics");
        foreach (var m in expected.EnumerateObject())
            Assert.True(Math.Abs(m.Value.GetDouble() - metrics.GetProperty(m.Name).GetDouble()) < 2e-5, m.Name);
    }

    [Fact]
    public async Task Train_writes_a_loadable_model_folder_with_tokenizer_metrics_tensorboard_and_summary()
    {
        using var scratch = new TempDir();
        var output = scratch.File("run");
        var stdout = new StringWriter();
        var previous = Console.Out;
        Console.SetOut(stdout);
        int code;
        try
        {
            code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", TrainingFixture.SyntheticDir, "--output", output,
                "--max_steps", "4", "--per-device-train-batch-size", "4", "--learning_rate", "1e-3", "--logging_steps", "2", "--eval_steps", "4"]);
        }
        finally
        {
            Console.SetOut(previous);
        }

        Assert.True(code == 0, stdout.ToString());
        Assert.Contains("step 2/4  loss", stdout.ToString());
        Assert.Contains("tok/s  ETA", stdout.ToString());
        foreach (var file in new[] { "config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "metrics.jsonl", "train_summary.json" })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        Assert.Single(Directory.GetFiles(Path.Combine(output, "runs"), "events.out.tfevents.*"));

        var logs = File.ReadAllLines(Path.Combine(output, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var train = logs.First(l => l.TryGetProperty("loss", out _));
        foreach (var key in new[] { "step", "epoch", "learning_rate", "grad_norm", "tokens_per_second", "rewards/chosen", "rewards/rejected",
                     "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "logits/chosen", "logits/rejected",
                     "nll_loss", "log_odds_ratio", "log_odds_chosen" })
            Assert.True(train.TryGetProperty(key, out _), key);
        Assert.Contains(logs, l => l.TryGetProperty("eval_rewards/accuracies", out _));
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_summary.json"))).RootElement;
        foreach (var key in new[] { "train_runtime", "train_samples_per_second", "train_tokens_per_second", "train_loss", "peak_memory_bytes" })
            Assert.True(summary.TryGetProperty(key, out _), key);

        // The output is a model a Hugging Face user (and our evaluator) loads.
        using var model = HfModelFolder.Load(output, TorchSharp.torch.CPU);
        var eval = OrpoEvaluator.EvaluateFile(output, Path.Combine(TrainingFixture.SyntheticDir, "eval.jsonl"), 0.1);
        Assert.Equal(32, eval.Pairs);
    }

    [Fact]
    public async Task Train_keeps_pairs_over_max_length_by_cutting_them_and_counts_the_cut_in_its_summary()
    {
        using var scratch = new TempDir();
        var output = scratch.File("cut");
        var data = Path.Combine(RepoPaths.TinyLlama, "data.jsonl");
        var code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", data, "--output", output,
            "--max_steps", "1", "--max_length", "45", "--eval_steps", "0"]);

        Assert.Equal(0, code);
        var expected = Pipeline.Training.Data.TokenizedData.From(Pipeline.Training.Data.PreferenceData.Load(data),
            Pipeline.Shared.Tokenization.HfTokenizer.Load(RepoPaths.TinyLlama), 45, Pipeline.Training.Data.OverlongPolicy.Truncate);
        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "train_summary.json"))).RootElement;
        Assert.True(expected.TruncatedPairs > 0);
        Assert.Equal(expected.Pairs.Count, summary.GetProperty("pairs_used").GetInt32());
        Assert.Equal(0, summary.GetProperty("pairs_dropped").GetInt32());
        Assert.Equal(expected.TruncatedPairs, summary.GetProperty("pairs_truncated").GetInt32());
        Assert.Equal(expected.TruncatedTokens, summary.GetProperty("tokens_truncated").GetInt64());
    }

    [Fact]
    public async Task Train_with_use_peft_writes_a_PEFT_adapter_and_a_merged_model()
    {
        using var scratch = new TempDir();
        var output = scratch.File("lora");
        var code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"),
            "--output", output, "--max_steps", "2", "--learning_rate", "1e-2", "--use_peft", "true", "--lora_r", "4", "--merge_adapter", "true"]);

        Assert.Equal(0, code);
        Assert.True(File.Exists(Path.Combine(output, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "tokenizer.json")));
        using var merged = HfModelFolder.Load(Path.Combine(output, "merged"), TorchSharp.torch.CPU);
        Assert.True(File.Exists(Path.Combine(output, "merged", "tokenizer.json")));
    }

    [Fact]
    public async Task Train_rejects_an_unknown_config_key_with_a_clear_error()
    {
        var stderr = new StringWriter();
        var previous = Console.Error;
        Console.SetError(stderr);
        int code;
        try
        {
            using var scratch = new TempDir();
            code = await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", TrainingFixture.SyntheticDir,
                "--output", scratch.Path, "--learning_rat", "1e-3"]);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Equal(2, code);
        Assert.Contains("learning_rat", stderr.ToString());
    }
}
