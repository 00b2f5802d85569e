// The tiny model's tokenizer: GPT-2 converted to tokenizer.json must encode like Hugging Face `tokenizers` reading it
// and like Microsoft.ML's own GPT-2, and carry ChatML specials and template.
using Microsoft.ML.Tokenizers;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;
using Pipeline.Training.Model;

namespace Pipeline.Training.Tests.Model;

/// <summary>One written tokenizer folder for the class, removed afterwards.</summary>
public sealed class TinyTokenizerFolder : IDisposable
{
    private readonly TempDir _dir = new("tiny-tokenizer-");

    public string Value => _dir.File("tokenizer"); // not there yet: the writer makes it

    public TinyTokenizerFolder() => TinyTokenizerFiles.WriteGpt2ChatMl(Value);

    public void Dispose() => _dir.Dispose();
}

public sealed class TinyTokenizerFilesTests(TinyTokenizerFolder Dir) : IClassFixture<TinyTokenizerFolder>
{
    private static readonly string[] SpecialTexts = ParityCorpus.WithSpecials("<|im_start|>", "<|im_end|>", "<|endoftext|>");

    [Fact]
    public void Hugging_face_tokenizers_reads_the_written_file_and_agrees_with_hf_tokenizer()
    {
        var corpus = ParityCorpus.Plain.Concat(SpecialTexts).ToArray();
        var tokenizer = HfTokenizer.Load(Dir.Value);

        var reference = NodeReference.Encode(Path.Combine(Dir.Value, "tokenizer.json"), corpus);

        for (var i = 0; i < corpus.Length; i++)
        {
            Assert.Equal(reference.Ids[i], tokenizer.EncodeWithSpecialTokens(corpus[i]));
            Assert.Equal(reference.Decoded[i], tokenizer.Decode(reference.Ids[i]));
        }
    }

    [Fact]
    public void Encodes_plain_text_exactly_like_microsoft_ml_gpt2()
    {
        var gpt2 = TiktokenTokenizer.CreateForModel("gpt2");
        var tokenizer = HfTokenizer.Load(Dir.Value);

        foreach (var text in ParityCorpus.Plain)
            Assert.Equal(gpt2.EncodeToIds(text), tokenizer.Encode(text));
    }

    [Fact]
    public void Rebuilds_gpt2s_fifty_thousand_merges_in_their_published_order()
    {
        var merges = TinyTokenizerFiles.MergesFromRanks(TinyTokenizerFiles.Gpt2Ranks()).ToList();

        Assert.Equal(50_000, merges.Count);
        // The first lines of GPT-2's merges.txt.
        Assert.Equal([("Ġ", "t"), ("Ġ", "a"), ("h", "e"), ("i", "n"), ("r", "e"), ("o", "n")], merges.Take(6));
    }

    [Fact]
    public void Writes_chatml_special_tokens_and_template_into_tokenizer_config()
    {
        var tokenizer = HfTokenizer.Load(Dir.Value);

        Assert.Equal(50_259, tokenizer.VocabularySize);
        Assert.Equal(("<|endoftext|>", 50_256), (tokenizer.BosToken, tokenizer.BosTokenId));
        Assert.Equal(("<|im_end|>", 50_258), (tokenizer.EosToken, tokenizer.EosTokenId));
        Assert.Equal(50_256, tokenizer.PadTokenId);
        Assert.False(tokenizer.AddBosToken);
        Assert.Equal(ChatTemplateFamily.ChatMl, ChatTemplates.Recognize(tokenizer.ChatTemplate!).Family);
        // Ids that Hugging Face `tokenizers` gives for "<|im_start|>user\nHi<|im_end|>\n" with the written file.
        Assert.Equal([50_257, 7220, 198, 17250, 50_258, 198], tokenizer.EncodeWithSpecialTokens(
            ChatTemplates.Render(tokenizer.ChatTemplate!, [new("user", "Hi")], false, tokenizer.BosToken, tokenizer.EosToken)));
    }
}
