// LoRA: only the adapter trains (base weights and keys untouched), it is saved in PEFT layout with PEFT key names, merging
// gives W0 + (alpha / r) B A from the saved adapter, dropout acts on the adapter in training mode only, resume is bitwise.
using System.Text.Json;
using Pipeline.Shared.Orpo;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Tests;
using Pipeline.Training.Trainer;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

[Collection(nameof(GlobalStateCollection))]
public sealed class LoraTests
{
    private static readonly LoraOptions Options = new(R: 4, Alpha: 8, Dropout: 0, TargetModules: ["q_proj", "v_proj"]);

    [Fact]
    public void Trains_only_the_adapter_and_saves_it_in_PEFT_layout_that_reproduces_the_trained_weights()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        using var model = TrainingFixture.Model();
        var baseWeights = TrainingFixture.WeightBytes(model);
        using var adapter = LoraAdapter.Attach(model, Options);
        var config = TrainingFixture.SmallConfig with { LearningRate = 1e-2, MaxSteps = 3 };

        using var scratch = new TempDir();
        OrpoTrainer.Train(model, data, null, config, scratch.Path, false, null, CancellationToken.None, trainable: adapter);

        Assert.Equal(4, adapter.AdaptedLayers); // 2 layers x (q_proj, v_proj)
        var after = TrainingFixture.WeightBytes(model);
        Assert.Equal(baseWeights.Keys.Order(), after.Keys.Order()); // Hugging Face keys only: A and B live in the adapter
        foreach (var (name, bytes) in baseWeights)
            Assert.True(bytes.AsSpan().SequenceEqual(after[name]), $"base weight {name} changed");

        using var scratch2 = new TempDir();
        var dir = scratch2.Path;
        adapter.SavePeft(dir, "tiny-llama");
        var tensors = Safetensors.Read(Path.Combine(dir, "adapter_model.safetensors"));
        Assert.Equal([4, 64], tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"].shape);
        Assert.Equal([64, 4], tensors["base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight"].shape);
        Assert.True(tensors["base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight"].abs().sum().item<float>() > 0);
        Assert.Equal(8, tensors.Count);
        var cfg = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "adapter_config.json"))).RootElement;
        Assert.Equal("LORA", cfg.GetProperty("peft_type").GetString());
        Assert.Equal(4, cfg.GetProperty("r").GetInt32());
        Assert.Equal(8, cfg.GetProperty("lora_alpha").GetDouble());

        // Merged weights = W0 + s B A, computed from the saved PEFT tensors and the untouched base checkpoint.
        adapter.Merge();
        using var baseModel = TrainingFixture.Model();
        var baseState = baseModel.state_dict();
        var trained = model.state_dict();
        foreach (var layer in new[] { "model.layers.0.self_attn.q_proj", "model.layers.1.self_attn.v_proj" })
        {
            var a = tensors[$"base_model.model.{layer}.lora_A.weight"];
            var b = tensors[$"base_model.model.{layer}.lora_B.weight"];
            var expected = baseState[layer + ".weight"] + b.matmul(a) * (8.0 / 4);
            Assert.True((expected - trained[layer + ".weight"]).abs().max().item<float>() < 1e-6, layer);
            Assert.True((baseState[layer + ".weight"] - trained[layer + ".weight"]).abs().max().item<float>() > 0, $"{layer} did not train");
        }
    }

    [Fact]
    public void Dropout_acts_on_the_adapter_input_in_training_mode_only_and_eval_equals_the_merged_model()
    {
        random.manual_seed(3);
        using var model = TrainingFixture.Model();
        using var adapter = LoraAdapter.Attach(model, Options with { Dropout = 0.5 });
        using (no_grad())
            foreach (var p in adapter.parameters().Where(p => p.shape[1] == Options.R)) p.normal_(0, 0.5); // B != 0: the adapter acts
        var ids = tensor(new long[] { 1, 5, 9, 13, 17, 21, 25, 29 }).view(1, 8); // (1, T)

        model.eval();
        var evalA = model.forward(ids, null);
        var evalB = model.forward(ids, null);
        model.train();
        var trainA = model.forward(ids, null);
        var trainB = model.forward(ids, null);
        adapter.DisableDropout();
        var trainNoDropout = model.forward(ids, null);
        adapter.Merge();
        model.eval();
        var merged = model.forward(ids, null);

        Assert.Equal(0f, (evalA - evalB).abs().max().item<float>()); // eval mode is deterministic
        Assert.True((trainA - evalA).abs().max().item<float>() > 1e-3, "training mode must drop adapter inputs");
        Assert.True((trainA - trainB).abs().max().item<float>() > 1e-3, "each training forward draws a new mask");
        Assert.True((trainNoDropout - evalA).abs().max().item<float>() < 1e-5, "disabled dropout = eval");
        Assert.True((merged - evalA).abs().max().item<float>() < 1e-4, $"merged differs by {(merged - evalA).abs().max().item<float>()}");
    }

    [Fact]
    public void Disable_dropout_in_the_config_turns_lora_dropout_off_as_TRL_does()
    {
        var config = new OrpoConfig { UsePeft = true };
        Assert.Equal(0.05, config.Lora!.Dropout); // TRL ModelConfig's default
        using var model = TrainingFixture.Model();
        using var adapter = LoraAdapter.Attach(model, config.Lora!);
        Assert.Equal(0.05, adapter.ActiveDropout);
        adapter.DisableDropout();
        Assert.Equal(0, adapter.ActiveDropout);
        Assert.Throws<InvalidDataException>(() => LoraAdapter.Attach(TrainingFixture.Model(), Options with { Dropout = 1.0 }));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    public void LoRA_run_resumes_bitwise(double dropout)
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        var config = TrainingFixture.SmallConfig with { LearningRate = 1e-2, SaveSteps = 2, PerDeviceTrainBatchSize = 2 };
        byte[][] Run(string dir, bool resume, CancellationToken ct, IProgress<TrainProgress>? progress = null)
        {
            random.manual_seed(7);
            using var model = TrainingFixture.Model();
            using var adapter = LoraAdapter.Attach(model, Options with { Dropout = dropout });
            try { OrpoTrainer.Train(model, data, null, config, dir, resume, progress, ct, trainable: adapter); }
            catch (OperationCanceledException) { return []; }
            return [.. adapter.parameters().Select(p => p.bytes.ToArray())];
        }

        using var scratch = new TempDir();
        var straight = Run(scratch.Path, false, CancellationToken.None);
        using var scratch2 = new TempDir();
        var dir = scratch2.Path;
        using var cts = new CancellationTokenSource();
        Assert.Empty(Run(dir, false, cts.Token, new ProgressLog(p => { if (p.Step == 3) cts.Cancel(); })));
        random.manual_seed(99); // a different RNG state: the checkpoint must restore it
        var resumed = Run(dir, true, CancellationToken.None);

        Assert.Equal(straight.Length, resumed.Length);
        for (var i = 0; i < straight.Length; i++) Assert.Equal(straight[i], resumed[i]);
    }
}
