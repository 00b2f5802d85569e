// config.json parsing: unsupported architectures and fields are named; unknown fields survive a round trip.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;

namespace Pipeline.Training.Tests.Model;

public sealed class LlamaConfigTests
{
    private static string WriteConfig(TempDir dir, string edit)
    {
        var text = File.ReadAllText(Path.Combine(ModelFixtures.TinyLlama, HfModelFolder.ConfigFileName));
        var path = dir.File("config.json");
        File.WriteAllText(path, edit.Length == 0 ? text : text.Replace("\"model_type\": \"llama\"", edit));
        return path;
    }

    [Fact]
    public void Rejects_unsupported_architecture_naming_it()
    {
        using var dir = new TempDir();
        var path = WriteConfig(dir, "\"model_type\": \"gpt_neox\"");
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("model_type", error.Message);
        Assert.Contains("gpt_neox", error.Message);
    }

    [Fact]
    public void Rejects_an_unsupported_architectures_value_listing_the_supported_ones()
    {
        using var dir = new TempDir();
        var path = WriteConfig(dir, "");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"LlamaForCausalLM\"", "\"GemmaForCausalLM\""));
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains("architectures", error.Message);
        Assert.Contains("GemmaForCausalLM", error.Message);
        foreach (var supported in new[] { "LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM" })
            Assert.Contains(supported, error.Message);
    }

    [Fact]
    public void Qwen3_head_dim_defaults_to_128_as_in_transformers_Qwen3Config()
    {
        // Qwen3-0.6B: hidden 1024 over 16 heads would give 64; Qwen3Config's head_dim default is 128.
        var qwen3 = new LlamaConfig { ModelType = "qwen3", Architectures = ["Qwen3ForCausalLM"], VocabSize = 16, HiddenSize = 1024,
            IntermediateSize = 8, NumHiddenLayers = 1, NumAttentionHeads = 16, NumKeyValueHeads = 8 };
        qwen3.Validate();
        Assert.Equal(128, qwen3.HeadSize);
        Assert.True(qwen3.QkNorm);
        Assert.False(qwen3.QkvBias);
        Assert.Equal(64, (qwen3 with { ModelType = "qwen2", Architectures = ["Qwen2ForCausalLM"] }).HeadSize);
        Assert.Equal(96, (qwen3 with { HeadDim = 96 }).HeadSize);
    }

    [Fact]
    public void Rejects_unsupported_rope_scaling_naming_the_field()
    {
        using var dir = new TempDir();
        var path = WriteConfig(dir, "\"model_type\": \"llama\", \"rope_scaling_x\": 0");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"rope_scaling\": null", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"));
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains("rope_scaling.rope_type", error.Message);
        Assert.Contains("yarn", error.Message);
    }

    [Fact]
    public void Malformed_json_is_an_error_with_file_and_line()
    {
        using var dir = new TempDir();
        var path = dir.File("config.json");
        File.WriteAllText(path, "{\n  \"vocab_size\": 10,\n  \"hidden_size\": oops\n}");
        var error = Assert.Throws<InvalidDataException>(() => LlamaConfig.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Unknown_fields_and_eos_lists_survive_a_round_trip()
    {
        using var dir = new TempDir();
        var config = LlamaConfig.Load(WriteConfig(dir, "")) with { EosTokenIds = [302, 7, 9] };
        config.Save(dir.File("again.json"));
        var again = LlamaConfig.Load(dir.File("again.json"));

        Assert.Equal([302, 7, 9], again.EosTokenIds!);
        Assert.Equal(302, again.EosTokenId);
        Assert.True(again.Extra!["use_cache"].GetBoolean());
        Assert.Equal("4.46.0", again.Extra["transformers_version"].GetString());
        Assert.Equal(JsonSerializer.Serialize(config, LlamaConfig.Json), JsonSerializer.Serialize(again, LlamaConfig.Json));
    }
}
