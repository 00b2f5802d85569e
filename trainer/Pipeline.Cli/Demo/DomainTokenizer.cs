// A small byte-level BPE tokenizer learnt from the demo's own text (GPT-2's pre-tokenizer and byte alphabet, merges by
// pair frequency), written by TinyTokenizerFiles as a Hugging Face folder with ChatML specials, as GPT-2's is.
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Model;

namespace Pipeline.Cli.Demo;

public static partial class DomainTokenizer
{
    public const string EndOfText = TinyTokenizerFiles.EndOfText;
    public const string ImStart = TinyTokenizerFiles.ImStart;
    public const string ImEnd = TinyTokenizerFiles.ImEnd;

    // GPT-2's pre-tokenizer, as Hugging Face's ByteLevel pre-tokenizer with use_regex applies it.
    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex PreTokenizer();

    /// <summary>The ids a tokenizer of <paramref name="vocabSize"/> tokens takes: 256 bytes, merges, then the three specials.</summary>
    public sealed record Vocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges)
    {
        public int EndOfTextId => Tokens.Count;
        public int ImStartId => Tokens.Count + 1;
        public int ImEndId => Tokens.Count + 2;
        public int Size => Tokens.Count + 3;
    }

    /// <summary>
    /// Learns merges from <paramref name="texts"/> until the vocabulary (bytes + merges + 3 specials) holds
    /// <paramref name="vocabSize"/> tokens or no pair occurs twice. Ties go to the ordinally smaller pair, so the
    /// same texts always give the same merges.
    /// </summary>
    public static Vocabulary Learn(IEnumerable<string> texts, int vocabSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabSize, 256 + 3);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in texts)
            foreach (Match m in PreTokenizer().Matches(text))
            {
                var word = ByteLevel.Encode(Encoding.UTF8.GetBytes(m.Value));
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        var words = counts.OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (Symbols: kv.Key.Select(c => c.ToString()).ToList(), Count: kv.Value)).ToList();
        var tokens = Enumerable.Range(0, 256).Select(b => ByteLevel.ByteToChar[b].ToString()).ToList();
        var known = tokens.ToHashSet(StringComparer.Ordinal);
        var merges = new List<(string, string)>();
        while (tokens.Count + 3 < vocabSize)
        {
            var pairs = new Dictionary<(string, string), int>();
            foreach (var (symbols, count) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    pairs[(symbols[i], symbols[i + 1])] = pairs.GetValueOrDefault((symbols[i], symbols[i + 1])) + count;
            if (pairs.Count == 0) break;
            var best = pairs.OrderByDescending(kv => kv.Value)
                .ThenBy(kv => kv.Key.Item1, StringComparer.Ordinal).ThenBy(kv => kv.Key.Item2, StringComparer.Ordinal).First();
            if (best.Value < 2) break;
            var (left, right) = best.Key;
            merges.Add((left, right));
            // Two merges can spell the same token ("ab"+"c", "a"+"bc"): it keeps its first id.
            if (known.Add(left + right)) tokens.Add(left + right);
            foreach (var (symbols, _) in words)
                for (var i = 0; i + 1 < symbols.Count; i++)
                    if (symbols[i] == left && symbols[i + 1] == right)
                    {
                        symbols[i] = left + right;
                        symbols.RemoveAt(i + 1);
                    }
        }
        return new Vocabulary(tokens, merges);
    }

    /// <summary>Writes tokenizer.json, tokenizer_config.json (ChatML template, BOS/pad &lt;|endoftext|&gt;, EOS
    /// &lt;|im_end|&gt;) and special_tokens_map.json into <paramref name="dir"/>.</summary>
    public static void Write(Vocabulary v, string dir)
    {
        var vocab = new JsonObject();
        for (var id = 0; id < v.Tokens.Count; id++) vocab[v.Tokens[id]] = id;
        foreach (var (content, id) in new[] { (EndOfText, v.EndOfTextId), (ImStart, v.ImStartId), (ImEnd, v.ImEndId) }) vocab[content] = id;
        TinyTokenizerFiles.WriteByteLevelChatMl(dir, vocab, new JsonArray([.. v.Merges.Select(m => new JsonArray(m.Left, m.Right))]),
            v.EndOfTextId, v.ImStartId, v.ImEndId);
    }
}
