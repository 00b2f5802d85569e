// Normaliser, pre-tokeniser and BPE model of a tokenizer.json run by our own MergeBpe: SentencePiece-style vocabularies
// (Llama 2, Mistral, Gemma: `▁` for spaces, byte fallback) and byte-level ones whose merges do not follow token ids.
using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Tokenization;

internal sealed class MergePieceEncoder(
    MergeBpe bpe,
    IReadOnlyList<Func<string, string>> normalizers,
    Regex? split,
    bool byteLevel) : IPieceEncoder
{
    public void Encode(string text, List<int> ids)
    {
        foreach (var n in normalizers)
            text = n(text);
        if (split is null)
        {
            EncodePiece(text, ids);
            return;
        }
        foreach (var piece in SupplementarySafeSplit.Pieces(split, text))
            EncodePiece(piece, ids);
    }

    private void EncodePiece(string piece, List<int> ids) =>
        bpe.Encode(byteLevel ? ByteLevel.Encode(Encoding.UTF8.GetBytes(piece)) : piece, ids);

    public int Count(string text)
    {
        var ids = new List<int>();
        Encode(text, ids);
        return ids.Count;
    }
}
