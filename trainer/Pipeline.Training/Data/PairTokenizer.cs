// Turns (prompt, chosen, rejected) text into token ids the way TRL's ORPOTrainer.tokenize_row does: the completion is
// what `prompt + completion` encodes to after the prompt's tokens (one token earlier when a merge crosses the boundary),
// BOS prepended, EOS appended; special-token text in any string becomes its special id, as Hugging Face tokenizers do.
// Over-long pairs are cut to fit (OverlongPolicy), or dropped where they cannot fit or the policy says drop.
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Data;

/// <summary>Token ids of both sequences; the first PromptLength ids of each are the prompt (BOS included).</summary>
public sealed record TokenizedPair(int[] ChosenIds, int ChosenPromptLength, int[] RejectedIds, int RejectedPromptLength)
{
    public int Length => Math.Max(ChosenIds.Length, RejectedIds.Length);
    public int Tokens => ChosenIds.Length + RejectedIds.Length;
}

/// <summary>Either a pair or the reason it was dropped; <see cref="CutTokens"/>: ids removed from the chosen and the
/// rejected sequence together (a prompt token cut counts twice, once per sequence).</summary>
public sealed record PairTokenization(TokenizedPair? Pair, string? DropReason, int CutTokens = 0);

public sealed class PairTokenizer(ITextTokenizer tokenizer, int maxLength, OverlongPolicy overlong)
{
    /// <param name="assistantHeader">Text at the end of a templated prompt that a cut prompt keeps (the generation prompt).</param>
    public PairTokenization Tokenize(string prompt, string chosen, string rejected, string assistantHeader = "")
    {
        Func<string, IReadOnlyList<int>> encode = tokenizer is HfTokenizer hf ? hf.EncodeWithSpecialTokens : tokenizer.Encode;
        var promptIds = encode(prompt).ToArray();
        var (c, cp) = Sequence(encode, promptIds, prompt, chosen);
        var (r, rp) = Sequence(encode, promptIds, prompt, rejected);
        if (c.Count - cp <= (tokenizer.EosTokenId is null ? 0 : 1) || r.Count - rp <= (tokenizer.EosTokenId is null ? 0 : 1))
            return new(null, "empty completion");
        var before = c.Count + r.Count;

        // Protected: BOS at the start of the prompt, the assistant header at its end.
        var head = tokenizer.BosTokenId is int bos && c.Count > 0 && c[0] == bos ? 1 : 0;
        var tail = HeaderTokens(encode, assistantHeader, c, cp);

        // TRL DPOTrainer.tokenize_row: max_completion_length cuts completions from the right, max_prompt_length cuts the
        // prompt (keep_end: its start goes; keep_start: its end goes), each applied whenever it is exceeded.
        if (overlong.MaxCompletionLength is int mc)
        {
            CutCompletion(c, cp, mc);
            CutCompletion(r, rp, mc);
        }
        if (overlong.MaxPromptLength is int mp && Math.Min(cp, rp) > mp)
            CutPrompt(c, ref cp, r, ref rp, Math.Min(cp, rp) - mp, head, tail);

        var overflow = Math.Max(c.Count, r.Count) - maxLength;
        if (overflow > 0)
        {
            if (overlong.DropOverlong)
                return new(null, $"longer than max_length {maxLength} ({Math.Max(c.Count, r.Count)} tokens)");
            // The prompt first (same ids from both sequences), down to its protected tokens; then each completion from the right.
            CutPrompt(c, ref cp, r, ref rp, Math.Min(overflow, Math.Max(0, Math.Min(cp, rp) - head - tail)), head, tail);
            var keep = overlong.CutCompletions ? overlong.MinCompletionTokens : int.MaxValue;
            if (!Fits(c, cp, keep) || !Fits(r, rp, keep))
                return new(null, overlong.CutCompletions
                    ? $"cannot fit max_length {maxLength}: the prompt's protected {head + tail} tokens and {overlong.MinCompletionTokens} completion tokens do not fit"
                    : $"completion alone exceeds max_length {maxLength}");
            CutCompletion(c, cp, maxLength - cp);
            CutCompletion(r, rp, maxLength - rp);
        }
        return new(new TokenizedPair([.. c], cp, [.. r], rp), null, before - c.Count - r.Count);
    }

    // Whether a sequence fits max_length keeping at least `keep` completion tokens (all of a shorter completion).
    private bool Fits(List<int> ids, int promptLength, int keep) =>
        ids.Count <= maxLength || promptLength + Math.Min(keep, ids.Count - promptLength) <= maxLength;

    private static void CutCompletion(List<int> ids, int promptLength, int maxCompletion)
    {
        var end = promptLength + Math.Max(0, maxCompletion);
        if (ids.Count > end) ids.RemoveRange(end, ids.Count - end);
    }

    // Removes `count` prompt ids from both sequences, never BOS (head) or the assistant header (tail).
    private void CutPrompt(List<int> c, ref int cp, List<int> r, ref int rp, int count, int head, int tail)
    {
        count = Math.Min(count, Math.Min(cp, rp) - head - tail);
        if (count <= 0) return;
        if (overlong.KeepStart)
        {
            c.RemoveRange(cp - tail - count, count);
            r.RemoveRange(rp - tail - count, count);
        }
        else
        {
            c.RemoveRange(head, count);
            r.RemoveRange(head, count);
        }
        cp -= count;
        rp -= count;
    }

    // How many ids at the end of the prompt are the assistant header (0 when they are not exactly its ids).
    private static int HeaderTokens(Func<string, IReadOnlyList<int>> encode, string header, List<int> ids, int promptLength)
    {
        if (header.Length == 0) return 0;
        var h = encode(header);
        if (h.Count > promptLength) return 0;
        for (var i = 0; i < h.Count; i++)
            if (ids[promptLength - h.Count + i] != h[i]) return 0;
        return h.Count;
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
