// HfTokenizer against Hugging Face `tokenizers` on real tokenizer.json files: ids, decoding and counts must be identical.
using Pipeline.Shared.Tokenization;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class HfTokenizerParityTests
{
    [Theory]
    [MemberData(nameof(TokenizerZoo.Names), MemberType = typeof(TokenizerZoo))]
    public void Encodes_every_corpus_text_to_the_ids_hugging_face_gives(string name)
    {
        var tokenizer = TokenizerZoo.Get(name);
        var corpus = TokenizerZoo.Corpus(name);
        var expected = TokenizerZoo.Reference(name).Ids;

        for (var i = 0; i < corpus.Length; i++)
            Assert.True(expected[i].SequenceEqual(tokenizer.EncodeWithSpecialTokens(corpus[i])),
                $"{name} text {i} {corpus[i]!.Replace("\n", "\\n")}: expected [{string.Join(",", expected[i])}] got [{string.Join(",", tokenizer.EncodeWithSpecialTokens(corpus[i]))}]");
    }

    [Theory]
    [MemberData(nameof(TokenizerZoo.Names), MemberType = typeof(TokenizerZoo))]
    public void Encode_matches_hugging_face_on_text_without_special_tokens(string name)
    {
        var tokenizer = TokenizerZoo.Get(name);
        var expected = TokenizerZoo.Reference(name).Ids;

        for (var i = 0; i < ParityCorpus.Plain.Length; i++)
            Assert.Equal(expected[i], tokenizer.Encode(ParityCorpus.Plain[i]));
    }

    [Theory]
    [MemberData(nameof(TokenizerZoo.Names), MemberType = typeof(TokenizerZoo))]
    public void Decodes_ids_to_the_text_hugging_face_decodes(string name)
    {
        var tokenizer = TokenizerZoo.Get(name);
        var reference = TokenizerZoo.Reference(name);

        for (var i = 0; i < reference.Ids.Length; i++)
            Assert.Equal(reference.Decoded[i], tokenizer.Decode(reference.Ids[i]));
    }

    [Theory]
    [MemberData(nameof(TokenizerZoo.Names), MemberType = typeof(TokenizerZoo))]
    public void Counts_as_many_tokens_as_encode_returns(string name)
    {
        var tokenizer = TokenizerZoo.Get(name);

        foreach (var text in TokenizerZoo.Corpus(name))
            Assert.Equal(tokenizer.Encode(text).Count, tokenizer.CountTokens(text));
    }
}

public sealed class MergeEngineParityTests
{
    // Byte-level files normally run on tiktoken ranks; our own merge engine is the fallback for vocabularies whose
    // merge order does not follow ids, so it is held to the same reference on Llama 3 and Qwen3.
    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Merge_engine_gives_hugging_faces_ids_on_byte_level_files_too(string name)
    {
        var tokenizer = HfTokenizer.LoadWithMergeEngine(TokenizerZoo.Folders[name].Dir);
        var corpus = TokenizerZoo.Corpus(name);
        var expected = TokenizerZoo.Reference(name).Ids;

        for (var i = 0; i < corpus.Length; i++)
            Assert.Equal(expected[i], tokenizer.EncodeWithSpecialTokens(corpus[i]));
    }
}
