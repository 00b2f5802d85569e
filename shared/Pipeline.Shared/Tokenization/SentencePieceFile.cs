// SentencePiece BPE `tokenizer.model` (Llama 2, Mistral), converted the way transformers' LlamaConverter does
// (SentencePieceExtractor merges, `▁` prefix and spaces, byte fallback) and run by MergeBpe, so ids equal Hugging
// Face's. Microsoft.ML's SentencePieceTokenizer is not used: it differs from Hugging Face (SentencePieceTests).
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal static class SentencePieceFile
{
    public static TokenizerModel Read(string path, TokenizerConfig config)
    {
        SentencePieceProto proto;
        try
        {
            proto = SentencePieceProto.Parse(File.ReadAllBytes(path));
        }
        catch (FormatException e)
        {
            throw new TokenizerFormatException(path, $"not a SentencePiece model or tiktoken file ({e.Message})");
        }
        if (proto.Pieces.Count == 0)
            throw new TokenizerFormatException(path, "SentencePiece model has no pieces");
        if (proto.ModelType != SentencePieceProto.Bpe)
            throw new TokenizerFormatException(path, $"SentencePiece model_type {proto.ModelType} is not supported (only BPE = 2, as Llama 2 and Mistral use)");
        if (proto.RemoveExtraWhitespaces)
            throw new TokenizerFormatException(path, "normalizer_spec.remove_extra_whitespaces = true is not supported");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < proto.Pieces.Count; id++)
            vocab.TryAdd(proto.Pieces[id].Piece, id);
        var merges = ExtractMerges(proto.Pieces, vocab);

        var added = new List<AddedToken>();
        for (var id = 0; id < proto.Pieces.Count; id++)
            if (proto.Pieces[id].Type is SentencePieceEntry.Control or SentencePieceEntry.Unknown or SentencePieceEntry.UserDefined)
                added.Add(new AddedToken(id, proto.Pieces[id].Piece, proto.Pieces[id].Type != SentencePieceEntry.UserDefined));
        int? unk = proto.Pieces.Select((p, id) => (p, id)).Where(x => x.p.Type == SentencePieceEntry.Unknown).Select(x => (int?)x.id).FirstOrDefault();

        var normalizers = new List<Func<string, string>>();
        if (proto.AddDummyPrefix) normalizers.Add(s => s.Length == 0 ? s : "▁" + s);
        if (proto.EscapeWhitespaces) normalizers.Add(s => s.Replace(' ', '▁'));
        var bpe = new MergeBpe(vocab, merges, proto.ByteFallback, unk, fuseUnk: true, ignoreMerges: false);

        var maxId = Math.Max(proto.Pieces.Count - 1, config.AddedTokens.Count == 0 ? -1 : config.AddedTokens.Max(a => a.Id));
        var idBytes = new byte[maxId + 1][];
        Array.Fill(idBytes, []);
        for (var id = 0; id < proto.Pieces.Count; id++)
            idBytes[id] = PieceBytes(proto.Pieces[id]);
        foreach (var a in config.AddedTokens)
            idBytes[a.Id] = Encoding.UTF8.GetBytes(a.Content.Replace('▁', ' '));
        return new TokenizerModel(new MergePieceEncoder(bpe, normalizers, null, byteLevel: false), idBytes, added, vocab,
            proto.AddDummyPrefix ? 1 : 0, null);
    }

    // transformers' SentencePieceExtractor.extract(vocab_scores): every split of every piece into two pieces, ordered
    // by the ids of its halves, then stably by the merged piece's score, highest first.
    private static Dictionary<(int, int), BpeMerge> ExtractMerges(IReadOnlyList<SentencePieceEntry> pieces, Dictionary<string, int> vocab)
    {
        var candidates = new List<(int Left, int Right, int Merged, float Score)>();
        for (var id = 0; id < pieces.Count; id++)
        {
            var piece = pieces[id].Piece;
            var local = new List<(int, int, int, float)>();
            for (var k = 1; k < piece.Length; k++)
                if (!char.IsLowSurrogate(piece[k]) && vocab.TryGetValue(piece[..k], out var l) && vocab.TryGetValue(piece[k..], out var r))
                    local.Add((l, r, id, pieces[id].Score));
            candidates.AddRange(local.OrderBy(x => x.Item1).ThenBy(x => x.Item2));
        }
        var ordered = candidates.Select((c, i) => (c, i)).OrderByDescending(x => x.c.Score).ThenBy(x => x.i).Select(x => x.c);
        var merges = new Dictionary<(int, int), BpeMerge>();
        var rank = 0;
        foreach (var (left, right, merged, _) in ordered)
            merges.TryAdd((left, right), new BpeMerge(rank++, merged));
        return merges;
    }

    private static byte[] PieceBytes(SentencePieceEntry p) =>
        p.Type == SentencePieceEntry.Byte && p.Piece.Length == 6
            ? [Convert.ToByte(p.Piece.Substring(3, 2), 16)]
            : Encoding.UTF8.GetBytes(p.Piece.Replace('▁', ' '));
}
