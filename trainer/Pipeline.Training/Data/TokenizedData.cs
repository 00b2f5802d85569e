// Tokenizes every row of a preference file, keeping the line of each pair, the reason each dropped pair was dropped,
// and how many pairs and tokens truncation cut.
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Data;

public sealed record DroppedPair(int Line, string Reason);

public sealed record TokenizedData(IReadOnlyList<TokenizedPair> Pairs, IReadOnlyList<int> Lines, IReadOnlyList<DroppedPair> Dropped, int PadTokenId)
{
    /// <summary>Kept pairs that lost tokens to truncation.</summary>
    public int TruncatedPairs { get; init; }

    /// <summary>Ids those pairs lost, chosen and rejected sequences together.</summary>
    public long TruncatedTokens { get; init; }

    /// <summary>Each row with its tokenization, in file order: what training sees (and `pipeline tokenize` prints).</summary>
    public static IEnumerable<(PreferenceRow Row, PairTokenization Tokens)> Each(IEnumerable<PreferenceRow> rows, ITextTokenizer tokenizer, int maxLength, OverlongPolicy overlong)
    {
        var tok = new PairTokenizer(tokenizer, maxLength, overlong);
        foreach (var row in rows)
            yield return (row, tok.Tokenize(row.Prompt, row.Chosen, row.Rejected, row.AssistantHeader));
    }

    public static TokenizedData From(IReadOnlyList<PreferenceRow> rows, ITextTokenizer tokenizer, int maxLength, OverlongPolicy overlong)
    {
        var pairs = new List<TokenizedPair>();
        var lines = new List<int>();
        var dropped = new List<DroppedPair>();
        var (truncatedPairs, truncatedTokens) = (0, 0L);
        foreach (var (row, t) in Each(rows, tokenizer, maxLength, overlong))
        {
            if (t.Pair is null)
            {
                dropped.Add(new DroppedPair(row.Line, t.DropReason!));
                continue;
            }
            pairs.Add(t.Pair);
            lines.Add(row.Line);
            if (t.CutTokens > 0) (truncatedPairs, truncatedTokens) = (truncatedPairs + 1, truncatedTokens + t.CutTokens);
        }
        // Padding is masked everywhere, so any id works; TRL pads with pad, else EOS.
        var pad = tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0;
        return new TokenizedData(pairs, lines, dropped, pad) { TruncatedPairs = truncatedPairs, TruncatedTokens = truncatedTokens };
    }
}
