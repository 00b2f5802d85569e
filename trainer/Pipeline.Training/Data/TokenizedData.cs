// Tokenizes every row of a preference file, keeping the line of each pair and the reason each dropped pair was dropped.
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Orpo;

namespace Pipeline.Training.Data;

public sealed record DroppedPair(int Line, string Reason);

public sealed record TokenizedData(IReadOnlyList<TokenizedPair> Pairs, IReadOnlyList<int> Lines, IReadOnlyList<DroppedPair> Dropped, int PadTokenId)
{
    public static TokenizedData From(IReadOnlyList<PreferenceRow> rows, ITextTokenizer tokenizer, int maxLength, OverlongPolicy overlong)
    {
        var tok = new PairTokenizer(tokenizer, maxLength, overlong);
        var pairs = new List<TokenizedPair>();
        var lines = new List<int>();
        var dropped = new List<DroppedPair>();
        foreach (var row in rows)
        {
            var t = tok.Tokenize(row.Prompt, row.Chosen, row.Rejected,
                row.Conversational && tokenizer is HfTokenizer hf ? hf.EncodeWithSpecialTokens : null);
            if (t.Pair is null) dropped.Add(new DroppedPair(row.Line, t.DropReason!));
            else { pairs.Add(t.Pair); lines.Add(row.Line); }
        }
        // Padding is masked everywhere, so any id works; TRL pads with pad, else EOS.
        var pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        return new TokenizedData(pairs, lines, dropped, pad);
    }
}
