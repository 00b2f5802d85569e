// Turns (prompt, chosen, rejected) text into token ids the way TRL's ORPOTrainer.tokenize_row does: the completion is
// what `prompt + completion` encodes to after the prompt's tokens (one token earlier when a merge crosses the boundary),
// BOS prepended, EOS appended. Over-long pairs are dropped (default) or lose prompt tokens from the left, never completion.
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Data;

public enum OverlongPolicy { Drop, TruncatePrompt }

/// <summary>Token ids of both sequences; the first PromptLength ids of each are the prompt (BOS included).</summary>
public sealed record TokenizedPair(int[] ChosenIds, int ChosenPromptLength, int[] RejectedIds, int RejectedPromptLength)
{
    public int Length => Math.Max(ChosenIds.Length, RejectedIds.Length);
    public int Tokens => ChosenIds.Length + RejectedIds.Length;
}

/// <summary>Either a pair or the reason it was dropped.</summary>
public sealed record PairTokenization(TokenizedPair? Pair, string? DropReason);

public sealed class PairTokenizer(ITextTokenizer tokenizer, int maxLength, OverlongPolicy overlong)
{
    /// <param name="encodeWithSpecialTokens">For chat-template output: special-token text becomes the special ids.</param>
    public PairTokenization Tokenize(string prompt, string chosen, string rejected, Func<string, IReadOnlyList<int>>? encodeWithSpecialTokens = null)
    {
        var encode = encodeWithSpecialTokens ?? tokenizer.Encode;
        var promptIds = encode(prompt).ToArray();
        var (c, cp) = Sequence(encode, promptIds, prompt, chosen);
        var (r, rp) = Sequence(encode, promptIds, prompt, rejected);
        if (c.Count - cp <= (tokenizer.EosTokenId is null ? 0 : 1) || r.Count - rp <= (tokenizer.EosTokenId is null ? 0 : 1))
            return new(null, "empty completion");

        var overflow = Math.Max(c.Count, r.Count) - maxLength;
        if (overflow > 0)
        {
            if (overlong == OverlongPolicy.Drop)
                return new(null, $"longer than max_length {maxLength} ({Math.Max(c.Count, r.Count)} tokens)");
            // Cut the same number of prompt tokens after BOS from both sequences; the completions stay whole.
            var keepFrom = tokenizer.BosTokenId is null ? 0 : 1;
            if (Math.Min(cp, rp) - keepFrom < overflow)
                return new(null, $"completion alone exceeds max_length {maxLength}");
            c.RemoveRange(keepFrom, overflow);
            r.RemoveRange(keepFrom, overflow);
            cp -= overflow;
            rp -= overflow;
        }
        return new(new TokenizedPair([.. c], cp, [.. r], rp), null);
    }

    // BOS + prompt part + completion part + EOS, and where the completion starts.
    private (List<int> Ids, int PromptLength) Sequence(Func<string, IReadOnlyList<int>> encode, int[] promptIds, string prompt, string completion)
    {
        var full = encode(prompt + completion);
        var start = promptIds.Length;
        if (full.Count < start || !full.Take(start).SequenceEqual(promptIds))
            start--; // a token merged across the boundary: TRL's build_tokenized_answer moves the split one left
        start = Math.Max(0, Math.Min(start, full.Count));

        var ids = new List<int>(full.Count + 2);
        if (tokenizer.BosTokenId is int bos && (full.Count == 0 || full[0] != bos)) ids.Add(bos);
        var promptLength = ids.Count + start;
        ids.AddRange(full);
        if (tokenizer.EosTokenId is int eos && (ids.Count == promptLength || ids[^1] != eos)) ids.Add(eos);
        return (ids, promptLength);
    }
}
