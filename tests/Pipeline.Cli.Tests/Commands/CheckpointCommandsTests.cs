// `eval` and `generate` open a training checkpoint (full fine-tuning: a model folder; LoRA: a PEFT adapter on its base)
// and refuse an old TorchSharp checkpoint with a clear error and exit 2.
using System.Text.Json;
using Pipeline.Cli.Commands;
using Pipeline.Testing;
using Pipeline.Training.Generation;

namespace Pipeline.Cli.Tests.Commands;

[Collection(nameof(GlobalStateCollection))]
public sealed class CheckpointCommandsTests
{
    private static string Data => Path.Combine(RepoPaths.TinyLlama, "data.jsonl");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Eval_and_generate_open_a_checkpoint_folder(bool lora)
    {
        using var scratch = new TempDir();
        var root = scratch.Path;
        var run = Path.Combine(root, "run");
        string[] peft = lora ? ["--use_peft", "true", "--lora_r", "4"] : [];
        Assert.Equal(0, await CommandLine.RunAsync(["train", "--model", RepoPaths.TinyLlama, "--data", Data, "--output", run,
            "--max_steps", "2", "--save_steps", "2", "--per_device_train_batch_size", "2", "--learning_rate", "1e-2", .. peft]));
        var checkpoint = Path.Combine(run, "checkpoints", "checkpoint-2");

        var report = Path.Combine(root, "report.json");
        Assert.Equal(0, await CommandLine.RunAsync(["eval", "--model", checkpoint, "--data", Data, "--output", report]));
        var metrics = JsonDocument.Parse(File.ReadAllText(report)).RootElement.GetProperty("metrics");
        Assert.True(metrics.TryGetProperty("eval_logits/chosen", out _));

        var generated = GenerateCommand.Run(new GenerateCommandOptions(checkpoint, "Where is my parcel", new GenerationOptions { MaxNewTokens = 4 }, "cpu"));
        Assert.InRange(generated.NewTokens, 1, 4);
    }

    [Fact]
    public async Task Eval_of_an_old_weights_dat_checkpoint_exits_2_saying_why()
    {
        using var scratch = new TempDir();
        var old = scratch.File("checkpoint-000008");
        Directory.CreateDirectory(old);
        File.WriteAllBytes(Path.Combine(old, "weights.dat"), [0]);
        var stderr = new StringWriter();
        var previous = Console.Error;
        Console.SetError(stderr);
        int code;
        try
        {
            code = await CommandLine.RunAsync(["eval", "--model", old, "--data", Data, "--output", Path.Combine(old, "r.json")]);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Equal(2, code);
        Assert.Contains("old TorchSharp format (weights.dat)", stderr.ToString());
    }
}
