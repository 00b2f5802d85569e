// Save/Load of Hugging Face model folders: round trips, sharding, dtypes, and key/shape errors that name the keys.
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;
using Pipeline.Training.Tests.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Checkpoints;

public sealed class HfModelFolderTests
{
    private static void AssertSameTensors(IReadOnlyDictionary<string, Tensor> want, IReadOnlyDictionary<string, Tensor> got)
    {
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (name, tensor) in want)
            Assert.True(TensorAssert.Same(tensor, got[name]), $"{name} differs after the round trip");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Saved_model_loads_back_with_identical_tensors(bool tied)
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 7, tied);
        HfModelFolder.Save(model, dir.Path);

        using var loaded = HfModelFolder.Load(dir.Path, CPU);
        Assert.True(File.Exists(dir.File("config.json")) && File.Exists(dir.File("generation_config.json")));
        Assert.False(File.Exists(dir.File(Safetensors.IndexFileName)));
        Assert.Equal(tied, !model.state_dict().ContainsKey("lm_head.weight"));
        AssertSameTensors(model.state_dict(), loaded.state_dict());
        Assert.Equal(JsonSerializer.Serialize(model.Config, LlamaConfig.Json), JsonSerializer.Serialize(loaded.Config, LlamaConfig.Json));
    }

    [Fact]
    public void Saving_above_the_shard_limit_writes_shards_and_an_index_that_loads_back()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 8);
        HfModelFolder.Save(model, dir.Path, maxShardBytes: 16_000);

        var shards = Directory.GetFiles(dir.Path, "model-*-of-*.safetensors");
        Assert.True(shards.Length > 2, $"expected several shards, got {shards.Length}");
        var index = JsonNode.Parse(File.ReadAllText(dir.File(Safetensors.IndexFileName)))!;
        var weightMap = index["weight_map"]!.AsObject();
        Assert.Equal(model.state_dict().Keys.Order(), weightMap.Select(kv => kv.Key).Order());
        var total = model.state_dict().Values.Sum(t => t.numel() * t.ElementSize);
        Assert.Equal(total, index["metadata"]!["total_size"]!.GetValue<long>());
        Assert.All(shards, s => Assert.True(new FileInfo(s).Length < 16_000 + 4096 || weightMap.Count(kv => kv.Value!.GetValue<string>() == Path.GetFileName(s)) == 1));

        using var loaded = HfModelFolder.Load(dir.Path, CPU);
        AssertSameTensors(model.state_dict(), loaded.state_dict());
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, ScalarType.BFloat16)] // kept as stored: no float32 copy of a frozen base
    [InlineData(ScalarType.Float16, ScalarType.Float32)]   // upcast on the CPU, where fp16 matmuls crawl
    [InlineData(ScalarType.Float32, ScalarType.Float32)]
    public void Weights_load_in_the_dtype_they_are_stored_in_unless_one_is_asked_for(ScalarType fileType, ScalarType loadedType)
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var original = Safetensors.Read(Path.Combine(ModelFixtures.TinyVariant, "model.safetensors"));
        Safetensors.Write(original.ToDictionary(kv => kv.Key, kv => kv.Value.to_type(fileType)), dir.File("model.safetensors"));
        File.Copy(Path.Combine(ModelFixtures.TinyVariant, "config.json"), dir.File("config.json"));
        Assert.All(Safetensors.ReadHeaders(dir.File("model.safetensors"))[0].Tensors.Values,
            e => Assert.Equal(SafetensorsHeader.ToDtype(fileType), e.Dtype));

        using var model = HfModelFolder.Load(dir.Path, CPU);
        using var asked = HfModelFolder.Load(dir.Path, CPU, ScalarType.Float32);

        Assert.Equal(loadedType, model.Dtype);
        foreach (var (name, param) in model.state_dict())
        {
            Assert.Equal(loadedType, param.dtype);
            Assert.True(TensorAssert.Same(param, original[name].to_type(fileType).to_type(loadedType)), name);
            Assert.True(TensorAssert.Same(asked.state_dict()[name], original[name].to_type(fileType).to_type(ScalarType.Float32)), name);
        }
    }

    [Fact]
    public void Bfloat16_model_saves_bf16_weights_and_loads_back_as_bfloat16()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 9);
        model.to(ScalarType.BFloat16);
        HfModelFolder.Save(model, dir.Path);

        Assert.Equal("bfloat16", LlamaConfig.Load(dir.File("config.json")).TorchDtype);
        using var loaded = HfModelFolder.Load(dir.Path, CPU, ScalarType.BFloat16);
        Assert.All(loaded.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        AssertSameTensors(model.state_dict(), loaded.state_dict());
    }

    [Fact]
    public void Missing_unexpected_and_misshapen_keys_are_errors_that_name_them()
    {
        using var dir = new TempDir();
        using var scope = NewDisposeScope();
        var weights = Safetensors.Read(Path.Combine(ModelFixtures.TinyVariant, "model.safetensors"));
        weights.Remove("model.norm.weight");
        weights["model.layers.0.self_attn.rogue.weight"] = zeros(3);
        weights["model.layers.1.mlp.up_proj.weight"] = zeros(7, 48);
        Safetensors.Write(weights, dir.File("model.safetensors"));
        File.Copy(Path.Combine(ModelFixtures.TinyVariant, "config.json"), dir.File("config.json"));

        var error = Assert.Throws<InvalidDataException>(() => HfModelFolder.Load(dir.Path, CPU));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Contains("missing keys: model.norm.weight", error.Message);
        Assert.Contains("unexpected keys: model.layers.0.self_attn.rogue.weight", error.Message);
        Assert.Contains("model.layers.1.mlp.up_proj.weight (file [7, 48], model [40, 48])", error.Message);
    }

    [Fact]
    public void Save_refuses_a_folder_that_already_holds_weights()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 10);
        HfModelFolder.Save(model, dir.Path);
        var before = File.ReadAllBytes(dir.File("model.safetensors"));

        var error = Assert.Throws<IOException>(() => HfModelFolder.Save(model, dir.Path));
        Assert.Contains("model.safetensors", error.Message);
        Assert.Equal(before, File.ReadAllBytes(dir.File("model.safetensors")));
    }

    [Fact]
    public void Save_completes_over_the_partial_file_of_a_killed_save()
    {
        using var dir = new TempDir();
        using var model = TinyModels.Create(seed: 11);
        File.WriteAllBytes(dir.File("model.safetensors.partial"), [1, 2, 3]); // a save killed before its rename

        HfModelFolder.Save(model, dir.Path);

        using var loaded = HfModelFolder.Load(dir.Path, CPU);
        Assert.False(File.Exists(dir.File("model.safetensors.partial")));
        Assert.Equal(model.state_dict().Keys.Order(), loaded.state_dict().Keys.Order());
    }
}
