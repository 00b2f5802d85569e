// SentencePiece `tokenizer.model` (Llama 2, Mistral) through Microsoft.ML's SentencePieceTokenizer.
// Known difference from `sentencepiece` on runs of spaces: pinned in SentencePieceTests, see the README there.
using System.Text;
using Microsoft.ML.Tokenizers;

namespace Pipeline.Shared.Tokenization;

internal static class SentencePieceFile
{
    public static TokenizerModel Read(string path, TokenizerConfig config)
    {
        SentencePieceTokenizer spm;
        try
        {
            using var stream = File.OpenRead(path);
            spm = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new TokenizerFormatException(path, $"not a SentencePiece model or tiktoken file ({e.Message})");
        }
        var vocab = spm.Vocabulary.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var maxId = Math.Max(vocab.Values.Max(), config.AddedTokens.Count == 0 ? -1 : config.AddedTokens.Max(a => a.Id));
        var idBytes = new byte[maxId + 1][];
        Array.Fill(idBytes, []);
        foreach (var (token, id) in vocab)
            idBytes[id] = token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                ? [Convert.ToByte(token.Substring(3, 2), 16)]
                : Encoding.UTF8.GetBytes(token.Replace('▁', ' '));
        foreach (var a in config.AddedTokens)
            idBytes[a.Id] = Encoding.UTF8.GetBytes(a.Content);
        return new TokenizerModel(new Pieces(spm), idBytes, [], vocab, spm.AddDummyPrefix ? 1 : 0, null);
    }

    private sealed class Pieces(SentencePieceTokenizer spm) : IPieceEncoder
    {
        public void Encode(string text, List<int> ids) =>
            ids.AddRange(spm.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false));

        public int Count(string text) => spm.CountTokens(text, addBeginningOfSentence: false, addEndOfSentence: false);
    }
}
