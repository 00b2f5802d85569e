// Byte-level BPE through Microsoft.ML's tiktoken engine (FACTS.md: 2.64 M tok/s, against 0.71 M for BpeTokenizer).
// Exact for Hugging Face vocabularies whose merge order follows token ids, which the reader checks before choosing it.
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Pipeline.Shared.Tokenization;

internal sealed class TiktokenPieceEncoder : IPieceEncoder
{
    private readonly TiktokenTokenizer tiktoken;
    private readonly Regex split;
    private readonly bool nfc;

    private TiktokenPieceEncoder(TiktokenTokenizer tiktoken, Regex split, bool nfc)
    {
        this.tiktoken = tiktoken;
        this.split = split;
        this.nfc = nfc;
    }

    /// <param name="ranks">Token bytes and id; the id is also the merge priority (lower merges first).</param>
    public static TiktokenPieceEncoder Create(IEnumerable<KeyValuePair<byte[], int>> ranks, Regex split, bool nfc)
    {
        // Microsoft.ML reads ranks in tiktoken's text format: base64 bytes, a space, the rank.
        var text = new StringBuilder();
        foreach (var (bytes, rank) in ranks)
            text.Append(Convert.ToBase64String(bytes)).Append(' ').Append(rank).Append('\n');
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text.ToString()));
        var tokenizer = TiktokenTokenizer.Create(stream, new RegexPreTokenizer(split, null), normalizer: null);
        return new TiktokenPieceEncoder(tokenizer, split, nfc);
    }

    // Text with surrogates is split by SupplementarySafeSplit; everything else by tiktoken's own (faster) regex pass.
    public void Encode(string text, List<int> ids)
    {
        text = Normalize(text);
        if (!SupplementarySafeSplit.NeedsMapping(text))
        {
            ids.AddRange(tiktoken.EncodeToIds(text, considerPreTokenization: true, considerNormalization: false));
            return;
        }
        foreach (var piece in SupplementarySafeSplit.Pieces(split, text))
            ids.AddRange(tiktoken.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
    }

    public int Count(string text)
    {
        text = Normalize(text);
        if (!SupplementarySafeSplit.NeedsMapping(text))
            return tiktoken.CountTokens(text, considerPreTokenization: true, considerNormalization: false);
        return SupplementarySafeSplit.Pieces(split, text)
            .Sum(piece => tiktoken.CountTokens(piece, considerPreTokenization: false, considerNormalization: false));
    }

    private string Normalize(string text) =>
        nfc ? Nfc.Normalize(text) : text;
}
