// tokenizer.model (SentencePiece BPE) against Hugging Face `tokenizers` on the equivalent Llama 2 tokenizer.json, and
// the measured difference of Microsoft.ML's SentencePieceTokenizer, the reason we do not use it for tokenizer.model.
using Microsoft.ML.Tokenizers;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class SentencePieceFolder : IDisposable
{
    private readonly TempDir _dir = new("spm-llama2-");

    public string Dir => _dir.Path;

    public SentencePieceFolder()
    {
        var source = TokenizerZoo.Folders["llama2"].Dir;
        SentencePieceModelWriter.WriteFromTokenizerJson(Path.Combine(source, "tokenizer.json"), ModelPath);
        File.Copy(Path.Combine(source, "tokenizer_config.json"), Path.Combine(Dir, "tokenizer_config.json"));
    }

    public string ModelPath => Path.Combine(Dir, "tokenizer.model");

    public void Dispose() => _dir.Dispose();
}

public sealed class SentencePieceTests(SentencePieceFolder folder) : IClassFixture<SentencePieceFolder>
{
    [Fact]
    public void Tokenizer_model_gives_the_ids_hugging_face_gives_for_llama2()
    {
        var tokenizer = HfTokenizer.Load(folder.Dir);
        var corpus = TokenizerZoo.Corpus("llama2");
        var reference = TokenizerZoo.Reference("llama2");

        for (var i = 0; i < corpus.Length; i++)
        {
            Assert.Equal(reference.Ids[i], tokenizer.EncodeWithSpecialTokens(corpus[i]));
            Assert.Equal(reference.Decoded[i], tokenizer.Decode(reference.Ids[i]));
        }
        Assert.Equal((1, 2), (tokenizer.BosTokenId, tokenizer.EosTokenId));
        Assert.True(tokenizer.AddBosToken);
    }

    // Measured, and why HfTokenizer runs tokenizer.model through MergeBpe instead: on this rebuilt Llama 2 model
    // Microsoft.ML 2.0.1 agrees with Hugging Face on every corpus text, whitespace runs included, except a run of
    // punctuation. FACTS.md reports that on Meta's original tokenizer.model (real scores) it splits "  Hello" differently.
    [Fact]
    public void Microsoft_ml_sentencepiece_differs_from_hugging_face_only_on_the_punctuation_run()
    {
        using var stream = File.OpenRead(folder.ModelPath);
        var microsoft = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        var reference = TokenizerZoo.Reference("llama2");

        var differing = ParityCorpus.Plain.Where((t, i) => !reference.Ids[i].SequenceEqual(microsoft.EncodeToIds(t))).ToList();

        Assert.Equal(["!!!??? ... --- *** ### $$$ %%% ^^^"], differing);
    }
}
