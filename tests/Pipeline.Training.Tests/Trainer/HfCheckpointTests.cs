// Checkpoints a Hugging Face user can open: checkpoint-{N}/ with the model or PEFT adapter, config and tokenizer,
// optimizer / scheduler / RNG state and transformers' trainer_state.json; `eval` opens them; old .dat ones are refused.
using System.Text.Json;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Trainer;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

[Collection(nameof(GlobalStateCollection))]
public sealed class HfCheckpointTests : IDisposable
{
    private readonly TempDir _dir = new();
    private int _runs;

    public void Dispose() => _dir.Dispose();

    private static string Data => Path.Combine(RepoPaths.TinyLlama, "data.jsonl");

    // 6 pairs in batches of 2: 3 batches an epoch; checkpoints at steps 2 and 4.
    private string Train(bool lora)
    {
        var output = _dir.File($"run-{++_runs}");
        var config = TrainingFixture.SmallConfig with
        {
            MaxSteps = 4, SaveSteps = 2, PerDeviceTrainBatchSize = 2, UsePeft = lora, LoraR = 4, LoraAlpha = 8, LearningRate = 1e-2,
        };
        OrpoTrainer.Run(new TrainJob(RepoPaths.TinyLlama, Data, output, config), null, CancellationToken.None);
        return output;
    }

    [Fact]
    public void A_full_fine_tuning_checkpoint_is_a_Hugging_Face_model_folder_with_transformers_trainer_state()
    {
        var output = Train(lora: false);
        var checkpoints = Checkpoint.List(output);
        Assert.Equal(["checkpoint-2", "checkpoint-4"], checkpoints.Select(Path.GetFileName));
        var first = checkpoints[0];
        foreach (var file in new[] { "model.safetensors", "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
                     "optimizer.bin", "rng_state.bin", "scheduler.json", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(first, file)), file);
        Assert.False(File.Exists(Path.Combine(first, Checkpoint.TrainingTensors))); // the model file is the exact state

        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(first, "trainer_state.json"))).RootElement;
        Assert.Equal(2, state.GetProperty("global_step").GetInt32());
        Assert.Equal(2.0 / 3, state.GetProperty("epoch").GetDouble(), 9);
        Assert.Equal(4, state.GetProperty("max_steps").GetInt32());
        Assert.Equal(JsonValueKind.Null, state.GetProperty("best_metric").ValueKind);
        Assert.Equal([1, 2], state.GetProperty("log_history").EnumerateArray().Select(r => r.GetProperty("step").GetInt32()));
        Assert.True(state.GetProperty("log_history")[0].TryGetProperty("loss", out _));

        // The last checkpoint holds exactly the final model; a checkpoint opens for evaluation as any model folder.
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "model.safetensors")), File.ReadAllBytes(Path.Combine(checkpoints[1], "model.safetensors")));
        Assert.NotNull(HfTokenizer.Load(first));
        var atCheckpoint = OrpoEvaluator.EvaluateFile(checkpoints[1], Data, 0.1);
        var atEnd = OrpoEvaluator.EvaluateFile(output, Data, 0.1);
        Assert.Equal(atEnd.Metrics["eval_loss"], atCheckpoint.Metrics["eval_loss"]);
    }

    [Fact]
    public void A_LoRA_checkpoint_is_a_PEFT_adapter_folder_that_eval_opens_on_its_base()
    {
        var output = Train(lora: true);
        var last = Checkpoint.List(output)[^1];
        foreach (var file in new[] { "adapter_model.safetensors", "adapter_config.json", "tokenizer.json", Checkpoint.TrainingTensors, "optimizer.bin", "trainer_state.json" })
            Assert.True(File.Exists(Path.Combine(last, file)), file);
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "adapter_model.safetensors")), File.ReadAllBytes(Path.Combine(last, "adapter_model.safetensors")));

        var atCheckpoint = OrpoEvaluator.EvaluateFile(last, Data, 0.1);
        var atBase = OrpoEvaluator.EvaluateFile(RepoPaths.TinyLlama, Data, 0.1);
        Assert.NotEqual(atBase.Metrics["eval_loss"], atCheckpoint.Metrics["eval_loss"]); // the adapter acts
        Assert.Equal(OrpoEvaluator.EvaluateFile(output, Data, 0.1).Metrics["eval_loss"], atCheckpoint.Metrics["eval_loss"]);
    }

    [Fact]
    public void An_old_TorchSharp_checkpoint_is_refused_with_a_clear_error_by_eval_and_by_resume()
    {
        using var scratch = new TempDir();
        var output = scratch.Path;
        var old = Path.Combine(output, "checkpoints", "checkpoint-000002");
        Directory.CreateDirectory(old);
        File.WriteAllBytes(Path.Combine(old, "weights.dat"), [1, 2, 3]);
        File.WriteAllText(Path.Combine(old, "trainer_state.json"), """{"GlobalStep": 2}""");

        var e = Assert.Throws<InvalidDataException>(() => OrpoEvaluator.EvaluateFile(old, Data, 0.1));
        Assert.Contains("weights.dat", e.Message);
        Assert.Contains("old", e.Message);
        Assert.Contains(old, Assert.Throws<InvalidDataException>(() => TrainedModel.Load(old, CPU)).Message);
        var resume = Assert.Throws<InvalidDataException>(() => OrpoTrainer.Run(
            new TrainJob(RepoPaths.TinyLlama, Data, output, TrainingFixture.SmallConfig with { PerDeviceTrainBatchSize = 2 }, Resume: true), null, CancellationToken.None));
        Assert.Contains("weights.dat", resume.Message);
    }
}
