// Reads a Hugging Face tokenizer.json (BPE model) into a TokenizerModel: byte-level (GPT-2, Llama 3, Qwen2, SmolLM)
// or SentencePiece-style with byte fallback (Llama 2, Mistral, Gemma). Anything else is an error naming the field.
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Tokenization;

internal static class TokenizerJsonReader
{
    /// <summary>The pattern of `ByteLevel { use_regex: true }` (GPT-2's encoder.py).</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <param name="allowTiktoken">False forces our own merge engine (tests compare both engines on one file).</param>
    public static TokenizerModel Read(string path, bool allowTiktoken = true)
    {
        JsonDocument doc;
        try
        {
            using var stream = File.OpenRead(path);
            doc = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(path, $"not valid JSON ({e.Message})");
        }
        using (doc)
        {
            try
            {
                return Read(path, doc.RootElement, allowTiktoken);
            }
            catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new TokenizerFormatException(path, $"unexpected structure ({e.Message})");
            }
        }
    }

    private static TokenizerModel Read(string path, JsonElement root, bool allowTiktoken)
    {
        var model = Required(path, root, "model");
        var type = model.TryGetProperty("type", out var t) ? t.GetString() : "BPE";
        if (type != "BPE")
            throw new TokenizerFormatException(path, $"model.type '{type}' is not supported (only BPE: byte-level or SentencePiece-style)");
        if (model.TryGetProperty("continuing_subword_prefix", out var csp) && csp.ValueKind == JsonValueKind.String && csp.GetString() != "")
            throw new TokenizerFormatException(path, "model.continuing_subword_prefix is not supported");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var p in Required(path, model, "vocab").EnumerateObject())
            vocab[p.Name] = p.Value.GetInt32();
        var mergePairs = ReadMerges(path, model);
        var added = ReadAddedTokens(root);

        var normalizers = new List<Func<string, string>>();
        var nfc = false;
        var replacesSpace = false;
        ReadNormalizer(path, root.GetProperty("normalizer"), normalizers, ref nfc, ref replacesSpace);
        var (split, byteLevel) = ReadPreTokenizer(path, root.GetProperty("pre_tokenizer"), replacesSpace);

        var maxId = Math.Max(vocab.Count == 0 ? -1 : vocab.Values.Max(), added.Count == 0 ? -1 : added.Max(a => a.Id));
        var idBytes = new byte[maxId + 1][];
        Array.Fill(idBytes, []);
        foreach (var (token, id) in vocab)
            idBytes[id] = byteLevel
                ? ByteLevel.TryDecode(token) ?? Encoding.UTF8.GetBytes(token)
                : SentencePieceBytes(token);
        // Hugging Face runs added tokens through the decoder too (Gemma's whitespace tokens are written with '▁').
        foreach (var a in added)
            idBytes[a.Id] = byteLevel ? ByteLevel.TryDecode(a.Content) ?? Encoding.UTF8.GetBytes(a.Content) : SentencePieceBytes(a.Content);

        var merges = new Dictionary<(int, int), BpeMerge>(mergePairs.Count);
        for (var rank = 0; rank < mergePairs.Count; rank++)
        {
            var (left, right) = mergePairs[rank];
            if (!vocab.TryGetValue(left, out var l) || !vocab.TryGetValue(right, out var r) || !vocab.TryGetValue(left + right, out var id))
                throw new TokenizerFormatException(path, $"merge {rank} ('{left}' '{right}') uses a token that is not in model.vocab");
            merges.TryAdd((l, r), new BpeMerge(rank, id));
        }

        IPieceEncoder pieces;
        var ignoreMerges = model.TryGetProperty("ignore_merges", out var im) && im.ValueKind == JsonValueKind.True;
        if (allowTiktoken && byteLevel && split is not null && MergesFollowIds(mergePairs, vocab) && AllBytes(vocab))
        {
            pieces = TiktokenPieceEncoder.Create(
                vocab.Select(kv => new KeyValuePair<byte[], int>(ByteLevel.TryDecode(kv.Key)!, kv.Value)), split, nfc);
        }
        else
        {
            var byteFallback = model.TryGetProperty("byte_fallback", out var bf) && bf.ValueKind == JsonValueKind.True;
            var fuseUnk = model.TryGetProperty("fuse_unk", out var fu) && fu.ValueKind == JsonValueKind.True;
            int? unkId = model.TryGetProperty("unk_token", out var unk) && unk.ValueKind == JsonValueKind.String
                && vocab.TryGetValue(unk.GetString()!, out var u) ? u : null;
            var bpe = new MergeBpe(vocab, merges, byteFallback, unkId, fuseUnk, ignoreMerges);
            pieces = new MergePieceEncoder(bpe, normalizers, split, byteLevel);
        }

        return new TokenizerModel(pieces, idBytes, added, vocab, ReadStrip(root), ReadPrefixBos(root));
    }

    private static JsonElement Required(string path, JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v
            : throw new TokenizerFormatException(path, $"missing '{name}'");

    private static List<(string Left, string Right)> ReadMerges(string path, JsonElement model)
    {
        var list = new List<(string, string)>();
        if (!model.TryGetProperty("merges", out var merges)) return list;
        foreach (var m in merges.EnumerateArray())
        {
            if (m.ValueKind == JsonValueKind.Array && m.GetArrayLength() == 2)
            {
                list.Add((m[0].GetString()!, m[1].GetString()!));
                continue;
            }
            var s = m.ValueKind == JsonValueKind.String ? m.GetString()! : "";
            var space = s.IndexOf(' ', 1);
            if (space < 0)
                throw new TokenizerFormatException(path, $"model.merges[{list.Count}] is not 'left right' or [left, right]");
            list.Add((s[..space], s[(space + 1)..]));
        }
        return list;
    }

    private static List<AddedToken> ReadAddedTokens(JsonElement root)
    {
        var list = new List<AddedToken>();
        if (!root.TryGetProperty("added_tokens", out var added) || added.ValueKind != JsonValueKind.Array) return list;
        foreach (var a in added.EnumerateArray())
            list.Add(new AddedToken(
                a.GetProperty("id").GetInt32(),
                a.GetProperty("content").GetString()!,
                Flag(a, "special"), Flag(a, "lstrip"), Flag(a, "rstrip")));
        return list;
    }

    internal static bool Flag(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True;

    private static void ReadNormalizer(string path, JsonElement n, List<Func<string, string>> steps, ref bool nfc, ref bool replacesSpace)
    {
        if (n.ValueKind == JsonValueKind.Null) return;
        switch (n.GetProperty("type").GetString())
        {
            case "Sequence":
                foreach (var inner in n.GetProperty("normalizers").EnumerateArray())
                    ReadNormalizer(path, inner, steps, ref nfc, ref replacesSpace);
                break;
            case "NFC":
                nfc = true;
                steps.Add(Nfc.Normalize);
                break;
            case "Prepend":
                var prefix = n.GetProperty("prepend").GetString()!;
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace" when n.GetProperty("pattern").TryGetProperty("String", out var from):
                var a = from.GetString()!;
                var b = n.GetProperty("content").GetString()!;
                replacesSpace |= a == " ";
                steps.Add(s => s.Replace(a, b, StringComparison.Ordinal));
                break;
            default:
                throw new TokenizerFormatException(path, $"normalizer {n.GetRawText()[..Math.Min(80, n.GetRawText().Length)]} is not supported");
        }
    }

    /// <returns>The split pattern (null = whole text is one word) and whether pieces are mapped to byte-level chars.</returns>
    private static (Regex? Split, bool ByteLevel) ReadPreTokenizer(string path, JsonElement p, bool spacesReplaced)
    {
        if (p.ValueKind == JsonValueKind.Null) return (null, false);
        var type = p.GetProperty("type").GetString();
        if (type == "ByteLevel")
        {
            if (Flag(p, "add_prefix_space"))
                throw new TokenizerFormatException(path, "pre_tokenizer ByteLevel.add_prefix_space = true is not supported");
            var useRegex = !p.TryGetProperty("use_regex", out var ur) || ur.ValueKind != JsonValueKind.False;
            return (useRegex ? Compile(Gpt2Pattern) : null, true);
        }
        if (type == "Split" && p.GetProperty("pattern").TryGetProperty("Regex", out var regex))
        {
            if (p.GetProperty("behavior").GetString() != "Isolated" || Flag(p, "invert"))
                throw new TokenizerFormatException(path, "pre_tokenizer Split is supported only with behavior Isolated and invert false");
            return (Compile(regex.GetString()!), false);
        }
        // Gemma: the normaliser has already turned every space into '▁', so splitting on " " finds nothing.
        if (type == "Split" && spacesReplaced && p.GetProperty("pattern").TryGetProperty("String", out var str) && str.GetString() == " ")
            return (null, false);
        if (type == "Sequence")
        {
            Regex? split = null;
            var byteLevel = false;
            foreach (var inner in p.GetProperty("pretokenizers").EnumerateArray())
            {
                var (s, b) = ReadPreTokenizer(path, inner, spacesReplaced);
                if (s is not null && split is not null)
                    throw new TokenizerFormatException(path, "pre_tokenizer Sequence with two regex splits is not supported");
                split ??= s;
                byteLevel |= b;
            }
            return (split, byteLevel);
        }
        throw new TokenizerFormatException(path, $"pre_tokenizer type '{type}' is not supported");
    }

    private static Regex Compile(string pattern) =>
        new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    // tiktoken merges the adjacent pair whose concatenation has the lowest id; Hugging Face the pair listed first in
    // merges. The two agree when the ids of merge results never fall along the merge order (Llama 3, converted from
    // tiktoken, lists several merges per token, so equal neighbours are allowed).
    private static bool MergesFollowIds(List<(string Left, string Right)> merges, Dictionary<string, int> vocab)
    {
        var last = -1;
        foreach (var (l, r) in merges)
        {
            var id = vocab[l + r];
            if (id < last) return false;
            last = id;
        }
        return true;
    }

    private static bool AllBytes(Dictionary<string, int> vocab) => vocab.Keys.All(k => ByteLevel.TryDecode(k) is not null);

    private static byte[] SentencePieceBytes(string token)
    {
        if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
            && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var b))
            return [b];
        return Encoding.UTF8.GetBytes(token.Replace('▁', ' '));
    }

    private static int ReadStrip(JsonElement root)
    {
        if (!root.TryGetProperty("decoder", out var d) || d.ValueKind == JsonValueKind.Null) return 0;
        var steps = d.GetProperty("type").GetString() == "Sequence" ? d.GetProperty("decoders").EnumerateArray().ToList() : [d];
        return steps.Where(s => s.GetProperty("type").GetString() == "Strip" && s.GetProperty("content").GetString() == " ")
            .Sum(s => s.GetProperty("start").GetInt32());
    }

    private static string? ReadPrefixBos(JsonElement root)
    {
        if (!root.TryGetProperty("post_processor", out var pp) || pp.ValueKind == JsonValueKind.Null) return null;
        var processors = pp.GetProperty("type").GetString() == "Sequence" ? pp.GetProperty("processors").EnumerateArray().ToList() : [pp];
        foreach (var p in processors)
            if (p.GetProperty("type").GetString() == "TemplateProcessing"
                && p.GetProperty("single").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } first
                && first.TryGetProperty("SpecialToken", out var special))
                return special.GetProperty("id").GetString();
        return null;
    }
}
