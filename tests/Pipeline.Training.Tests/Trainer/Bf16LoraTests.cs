// bf16 + use_peft, the configuration LoRA users run: a bf16 base stays bf16 and frozen, float32 adapters train, and the
// merged model is W0 + s B A summed in float32 and rounded once into the base's dtype, so it computes what the adapter
// on the base computes, within bf16 rounding.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

public sealed class Bf16LoraTests
{
    private static readonly string[] Targets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    [Fact]
    public void Bf16_LoRA_run_merges_in_float32_and_saves_the_merged_model_in_bf16()
    {
        using var dir = new TempDir();
        var baseDir = Bf16CopyOfTinyLlama(dir.File("base"));
        var output = dir.File("run");
        var config = TrainingFixture.SmallConfig with
        {
            UsePeft = true, Bf16 = true, GradientCheckpointing = true, MergeAdapter = true, LoraTargetModules = Targets,
            LoraR = 4, LoraAlpha = 8, LearningRate = 2e-2, MaxSteps = 3, PerDeviceTrainBatchSize = 3,
        };

        var result = OrpoTrainer.Run(new TrainJob(baseDir, Path.Combine(RepoPaths.TinyLlama, "data.jsonl"), output, config), null, CancellationToken.None);

        Assert.Equal(3, result.GlobalStep);
        var merged = Path.Combine(output, TrainOutput.MergedFolder);
        Assert.Equal("bfloat16", LlamaConfig.Load(Path.Combine(merged, "config.json")).TorchDtype);
        Assert.All(Safetensors.ReadHeaders(Path.Combine(merged, "model.safetensors"))[0].Tensors.Values, e => Assert.Equal("BF16", e.Dtype));
        Assert.All(Safetensors.ReadHeaders(Path.Combine(output, "adapter_model.safetensors"))[0].Tensors.Values, e => Assert.Equal("F32", e.Dtype));

        using var scope = NewDisposeScope();
        using var baseModel = HfModelFolder.Load(baseDir, CPU);
        using var adapter = LoraAdapter.Attach(baseModel, new LoraOptions(4, 8, 0, Targets));
        adapter.LoadPeft(output);
        using var mergedModel = HfModelFolder.Load(merged, CPU);
        Assert.Equal(ScalarType.BFloat16, mergedModel.Dtype);

        // Each merged weight is the bf16 nearest to W0 + s B A computed in float32: one rounding, not two.
        var adapterWeights = Safetensors.Read(Path.Combine(output, "adapter_model.safetensors"));
        var baseState = baseModel.state_dict();
        var changed = 0;
        foreach (var (name, w) in mergedModel.state_dict())
        {
            var layer = name[..^".weight".Length];
            var expected = baseState[name];
            if (adapterWeights.TryGetValue($"base_model.model.{layer}.lora_A.weight", out var a))
            {
                var b = adapterWeights[$"base_model.model.{layer}.lora_B.weight"];
                expected = (baseState[name].to_type(ScalarType.Float32) + b.matmul(a) * 2.0).to_type(ScalarType.BFloat16);
                changed += w.eq(baseState[name]).all().item<bool>() ? 0 : 1;
            }
            Assert.True(w.eq(expected).all().item<bool>(), $"{name} is not the bf16 rounding of W0 + s B A");
        }
        Assert.Equal(14, changed); // 2 layers x 7 projections trained

        var ids = tensor(new long[] { 301, 17, 52, 9, 130, 77, 5, 240, 33, 302 }).unsqueeze(0);
        baseModel.eval();
        mergedModel.eval();
        var withAdapter = baseModel.forward(ids, null).to_type(ScalarType.Float32);  // (1, T, V)
        var fromMerged = mergedModel.forward(ids, null).to_type(ScalarType.Float32);
        var scale = withAdapter.abs().max().item<float>();
        var diff = (withAdapter - fromMerged).abs().max().item<float>();
        Assert.True(diff <= 0.02f * scale, $"merged logits differ from adapter-on-base by {diff} at logit scale {scale}");
    }

    [Fact]
    public void Bf16_LoRA_keeps_a_bf16_base_frozen_and_trains_float32_adapters()
    {
        using var dir = new TempDir();
        using var model = HfModelFolder.Load(Bf16CopyOfTinyLlama(dir.File("base")), CPU);
        Assert.Equal(ScalarType.BFloat16, model.Dtype); // loaded as stored, no float32 copy
        var before = TrainingFixture.WeightBytes(model);
        using var adapter = LoraAdapter.Attach(model, new LoraOptions(4, 8, 0, Targets));
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        var config = TrainingFixture.SmallConfig with { UsePeft = true, Bf16 = true, LearningRate = 1e-2, MaxSteps = 3 };

        var log = new ProgressLog();
        using var scratch = new TempDir();
        OrpoTrainer.Train(model, data, null, config, scratch.Path, false, log, CancellationToken.None, trainable: adapter);

        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        Assert.All(adapter.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        foreach (var (name, bytes) in TrainingFixture.WeightBytes(model))
            Assert.True(bytes.AsSpan().SequenceEqual(before[name]), $"frozen {name} changed");
        Assert.True(log.Reports[^1].Loss < log.Reports[0].Loss, "the adapters did not learn");
    }

    /// <summary>tiny-llama's weights rounded to bf16, saved as a bf16 checkpoint with its tokenizer.</summary>
    private static string Bf16CopyOfTinyLlama(string dir)
    {
        using var model = TrainingFixture.Model();
        model.to(ScalarType.BFloat16);
        HfModelFolder.Save(model, dir);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json" })
            File.Copy(Path.Combine(RepoPaths.TinyLlama, file), Path.Combine(dir, file));
        return dir;
    }
}
