// `init-model`: a loadable model folder whose config ids agree with the tokenizer written beside it.
using Pipeline.Cli.Commands;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Cli.Tests.Commands;

public sealed class InitModelCommandTests
{
    [Fact]
    public async Task Tiny_preset_writes_a_loadable_model_whose_ids_match_its_tokenizer()
    {
        using var dir = new TempDir();
        var exit = await CommandLine.RunAsync(["init-model", "--preset", "tiny", "--output", dir.Path, "--seed", "4"]);

        Assert.Equal(0, exit);
        using var model = HfModelFolder.Load(dir.Path, CPU);
        var tokenizer = HfTokenizer.Load(dir.Path);
        var config = model.Config;
        Assert.Equal((64, 2, 4, 2, 172), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.KvHeads, config.IntermediateSize));
        Assert.InRange(tokenizer.VocabularySize, 50259, config.VocabSize);
        Assert.Equal(0, config.VocabSize % 64);
        Assert.Equal(tokenizer.EosTokenId, config.EosTokenId);
        Assert.Equal(tokenizer.BosTokenId, config.BosTokenId);
        Assert.Equal(tokenizer.PadTokenId, config.PadTokenId);
        Assert.Equal(tokenizer.EosTokenId, GenerationConfig.TryLoad(dir.Path)!.EosTokenIds[0]);
        Assert.True(File.Exists(dir.File("model.safetensors")) && File.Exists(dir.File("tokenizer_config.json")));
    }

    [Fact]
    public void The_same_seed_writes_the_same_weights_and_another_seed_different_ones()
    {
        using var a = new TempDir();
        using var b = new TempDir();
        using var c = new TempDir();
        ModelInit.Write(new InitModelOptions("tiny", a.Path, 1));
        ModelInit.Write(new InitModelOptions("tiny", b.Path, 1));
        ModelInit.Write(new InitModelOptions("tiny", c.Path, 2));

        Assert.Equal(File.ReadAllBytes(a.File("model.safetensors")), File.ReadAllBytes(b.File("model.safetensors")));
        Assert.NotEqual(File.ReadAllBytes(a.File("model.safetensors")), File.ReadAllBytes(c.File("model.safetensors")));
    }

    [Fact]
    public void Unknown_preset_is_rejected_naming_the_choices()
    {
        using var dir = new TempDir();
        var error = Assert.Throws<ArgumentException>(() => ModelInit.Write(new InitModelOptions("huge", dir.Path, 0)));
        Assert.Contains("huge", error.Message);
        Assert.Contains("tiny, small", error.Message);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
