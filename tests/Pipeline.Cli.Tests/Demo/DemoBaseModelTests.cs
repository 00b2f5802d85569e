// The demo's base model: its domain tokenizer is a real Hugging Face tokenizer (the Rust `tokenizers` reads it and
// agrees with HfTokenizer, ChatML specials included), small, and the warm-up is seeded: the same options, the same bytes.
using Pipeline.Cli.Demo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;
using Pipeline.Training.Checkpoints;

namespace Pipeline.Cli.Tests.Demo;

public sealed class DemoBaseModelTests
{
    // A warm-up of a few steps: determinism and file layout do not depend on its length.
    private static readonly WarmUpOptions Short = WarmUpOptions.Default with { Pairs = 60, Steps = 4 };

    [Fact]
    public void Domain_tokenizer_encodes_like_hugging_face_tokenizers_and_keeps_support_text_short()
    {
        using var dir = new TempDir();
        var pairs = SupportAgentData.Generate(1, 40);
        var vocabulary = DomainTokenizer.Learn(SupportAgentData.WarmUpPairs(400, 1).SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected }), 1024);
        DomainTokenizer.Write(vocabulary, dir.Path);
        var tokenizer = HfTokenizer.Load(dir.Path);
        var chat = Pipeline.Training.Data.PreferenceData.ChatFor(tokenizer)!;
        var texts = pairs.SelectMany(p => new[] { p.Prompt, p.Chosen, p.Rejected, chat([new("user", p.Prompt), new("assistant", p.Chosen)], false) })
            .Concat(ParityCorpus.Plain).ToArray();

        var reference = NodeReference.Encode(dir.File("tokenizer.json"), texts);

        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(reference.Ids[i], tokenizer.EncodeWithSpecialTokens(texts[i]));
            Assert.Equal(reference.Decoded[i], tokenizer.Decode(reference.Ids[i]));
        }
        Assert.Equal(1024, tokenizer.VocabularySize);
        Assert.Equal(("<|endoftext|>", "<|im_end|>"), (tokenizer.BosToken, tokenizer.EosToken));
        // The domain's words are single tokens: a chosen answer of about 50 words takes well under 100 tokens.
        Assert.All(pairs, p => Assert.InRange(tokenizer.Encode(p.Chosen).Count, 20, 90));
    }

    [Fact]
    public async Task The_same_warm_up_options_give_the_same_bytes_and_a_loadable_model_folder()
    {
        using var dir = new TempDir();
        var (a, b) = (dir.File("a"), dir.File("b"));

        var first = DemoBaseModel.Write(a, Short);
        DemoBaseModel.Write(b, Short);

        Assert.Equal(await FileHash.FolderSha256Async(a, CancellationToken.None), await FileHash.FolderSha256Async(b, CancellationToken.None));
        Assert.True(first.LastLoss < first.FirstLoss, $"warm-up loss went {first.FirstLoss} -> {first.LastLoss}");
        using var model = HfModelFolder.Load(a, TorchSharp.torch.CPU);
        Assert.Equal(first.Config.VocabSize, model.Config.VocabSize);
        Assert.Equal(HfTokenizer.Load(a).EosTokenId, model.Config.EosTokenId);
        Assert.NotEqual(await FileHash.FolderSha256Async(a, CancellationToken.None),
            await FileHash.FolderSha256Async(DemoBaseModelWrite(dir.File("c"), Short with { Seed = 8 }), CancellationToken.None));
    }

    private static string DemoBaseModelWrite(string path, WarmUpOptions options)
    {
        DemoBaseModel.Write(path, options);
        return path;
    }
}
