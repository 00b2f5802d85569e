// A small byte-level BPE tokenizer learnt from the demo's own text (GPT-2's pre-tokenizer and byte alphabet, merges by
// pair frequency), written as a Hugging Face tokenizer.json with ChatML specials, as TinyTokenizerFiles writes GPT-2's.
using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Cli.Demo;

public static partial class DomainTokenizer
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

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
        Directory.CreateDirectory(dir);
        AddedToken[] added = [new(v.EndOfTextId, EndOfText, true), new(v.ImStartId, ImStart, true), new(v.ImEndId, ImEnd, true)];
        var vocab = new JsonObject();
        for (var id = 0; id < v.Tokens.Count; id++) vocab[v.Tokens[id]] = id;
        foreach (var a in added) vocab[a.Content] = a.Id;
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = true };
        var tokenizer = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray([.. added.Select(a => new JsonObject
            {
                ["id"] = a.Id, ["content"] = a.Content, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            })]),
            ["normalizer"] = null,
            ["pre_tokenizer"] = byteLevel.DeepClone(),
            ["post_processor"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = true, ["trim_offsets"] = false, ["use_regex"] = true },
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = "",
                ["end_of_word_suffix"] = "", ["fuse_unk"] = false, ["byte_fallback"] = false, ["ignore_merges"] = false,
                ["vocab"] = vocab, ["merges"] = new JsonArray([.. v.Merges.Select(m => new JsonArray(m.Left, m.Right))]),
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString(Indented));

        var decoder = new JsonObject();
        foreach (var a in added)
            decoder[a.Id.ToString(CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = a.Content, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false, ["single_word"] = false, ["special"] = true,
            };
        var config = new JsonObject
        {
            ["add_bos_token"] = false,
            ["add_prefix_space"] = false,
            ["added_tokens_decoder"] = decoder,
            ["additional_special_tokens"] = new JsonArray(ImStart, ImEnd),
            ["bos_token"] = EndOfText,
            ["eos_token"] = ImEnd,
            ["pad_token"] = EndOfText,
            ["unk_token"] = EndOfText,
            ["chat_template"] = ChatTemplates.ChatMl,
            ["clean_up_tokenization_spaces"] = false,
            ["model_max_length"] = 2048,
            ["tokenizer_class"] = "GPT2Tokenizer",
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString(Indented));
        var map = new JsonObject
        {
            ["additional_special_tokens"] = new JsonArray(ImStart, ImEnd),
            ["bos_token"] = EndOfText, ["eos_token"] = ImEnd, ["pad_token"] = EndOfText, ["unk_token"] = EndOfText,
        };
        File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), map.ToJsonString(Indented));
    }
}
