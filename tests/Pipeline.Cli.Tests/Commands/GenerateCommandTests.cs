// `generate`: tokenises the prompt, decodes with the folder's stop ids, and is reproducible with a seed.
using Pipeline.Cli.Commands;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Generation;


namespace Pipeline.Cli.Tests.Commands;

public sealed class GenerateCommandTests
{
    [Fact]
    public void Sampled_generation_from_an_init_model_folder_is_reproducible()
    {
        using var dir = new TempDir();
        ModelInit.Write(new InitModelOptions("tiny", dir.Path, 3));
        var options = new GenerateCommandOptions(dir.Path, "Hello there", new GenerationOptions { MaxNewTokens = 12, Temperature = 0.9, TopP = 0.95, Seed = 7 }, "cpu");

        var first = GenerateCommand.Run(options);
        var second = GenerateCommand.Run(options);

        Assert.Equal(first.Text, second.Text);
        Assert.InRange(first.NewTokens, 1, 12);
        Assert.False(string.IsNullOrEmpty(first.Text));
    }

    [Fact]
    public void Greedy_generation_on_tiny_llama_matches_token_level_decoding()
    {
        var options = new GenerateCommandOptions(RepoPaths.TinyLlama, "Where is my parcel", new GenerationOptions { MaxNewTokens = 10 }, "cpu");
        var viaCommand = GenerateCommand.Run(options);

        var tokenizer = Pipeline.Shared.Tokenization.HfTokenizer.Load(RepoPaths.TinyLlama);
        using var model = Pipeline.Training.Checkpoints.HfModelFolder.Load(RepoPaths.TinyLlama, TorchSharp.torch.CPU);
        long[] prompt = [301, .. tokenizer.Encode("Where is my parcel").Select(id => (long)id)]; // tiny-llama prepends BOS 301
        var tokens = TokenGenerator.Generate(model, prompt, new GenerationOptions { MaxNewTokens = 10, StopTokenIds = [302] });

        Assert.Equal(tokens.TokenIds.Count, viaCommand.NewTokens);
        Assert.Equal(tokenizer.Decode(tokens.TokenIds.Where(id => id != 302).Select(id => (int)id)), viaCommand.Text);
    }
}
