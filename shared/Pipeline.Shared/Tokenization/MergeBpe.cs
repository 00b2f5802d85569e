// Hugging Face's BPE model (tokenizers `models/bpe/model.rs`): split a word into characters, then repeatedly apply the
// lowest-ranked merge (leftmost on ties); characters missing from the vocabulary fall back to <0xXX> byte tokens or unk.
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal sealed record BpeMerge(int Rank, int NewId);

internal sealed class MergeBpe(
    IReadOnlyDictionary<string, int> vocab,
    IReadOnlyDictionary<(int Left, int Right), BpeMerge> merges,
    bool byteFallback,
    int? unkId,
    bool fuseUnk,
    bool ignoreMerges)
{
    public void Encode(string word, List<int> ids)
    {
        if (word.Length == 0) return;
        if (ignoreMerges && vocab.TryGetValue(word, out var whole))
        {
            ids.Add(whole);
            return;
        }
        var symbols = InitialSymbols(word);
        Merge(symbols);
        foreach (var id in symbols)
            if (id >= 0) ids.Add(id);
    }

    private List<int> InitialSymbols(string word)
    {
        var symbols = new List<int>(word.Length);
        var lastWasUnk = false;
        foreach (var rune in word.EnumerateRunes())
        {
            var s = rune.ToString();
            if (vocab.TryGetValue(s, out var id))
            {
                symbols.Add(id);
                lastWasUnk = false;
                continue;
            }
            if (byteFallback && TryBytes(rune, symbols))
            {
                lastWasUnk = false;
                continue;
            }
            if (unkId is not int unk)
                throw new InvalidOperationException($"Character U+{rune.Value:X4} is not in the vocabulary and the model has no unk token.");
            if (!(fuseUnk && lastWasUnk)) symbols.Add(unk);
            lastWasUnk = true;
        }
        return symbols;
    }

    private bool TryBytes(Rune rune, List<int> symbols)
    {
        Span<byte> utf8 = stackalloc byte[4];
        var n = rune.EncodeToUtf8(utf8);
        var found = new int[n];
        for (var i = 0; i < n; i++)
            if (!vocab.TryGetValue($"<0x{utf8[i]:X2}>", out found[i]))
                return false;
        symbols.AddRange(found);
        return true;
    }

    // Symbols live in a doubly linked list over the array; merged-away slots become -1. A heap holds candidate pairs
    // keyed by (rank, position); stale entries are skipped when popped.
    private void Merge(List<int> symbols)
    {
        var n = symbols.Count;
        if (n < 2) return;
        var prev = new int[n];
        var next = new int[n];
        for (var i = 0; i < n; i++)
        {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        var heap = new PriorityQueue<int, (int Rank, int Pos)>();
        for (var i = 0; i + 1 < n; i++)
            Push(heap, symbols, i, i + 1);
        while (heap.TryDequeue(out var left, out var key))
        {
            var right = next[left];
            if (symbols[left] < 0 || right < 0) continue;
            if (!merges.TryGetValue((symbols[left], symbols[right]), out var merge) || merge.Rank != key.Rank) continue;
            symbols[left] = merge.NewId;
            symbols[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0) prev[next[right]] = left;
            if (prev[left] >= 0) Push(heap, symbols, prev[left], left);
            if (next[left] >= 0) Push(heap, symbols, left, next[left]);
        }
    }

    private void Push(PriorityQueue<int, (int Rank, int Pos)> heap, List<int> symbols, int left, int right)
    {
        if (merges.TryGetValue((symbols[left], symbols[right]), out var merge))
            heap.Enqueue(left, (merge.Rank, left));
    }
}
