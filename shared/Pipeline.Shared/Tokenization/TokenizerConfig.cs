// tokenizer_config.json: special tokens, `add_bos_token`, the chat template and `added_tokens_decoder`.
using System.Text.Json;

namespace Pipeline.Shared.Tokenization;

internal sealed record TokenizerConfig(
    string? BosToken,
    string? EosToken,
    string? PadToken,
    bool? AddBosToken,
    string? ChatTemplate,
    IReadOnlyList<AddedToken> AddedTokens)
{
    public static readonly TokenizerConfig Empty = new(null, null, null, null, null, []);

    public static TokenizerConfig Read(string path)
    {
        if (!File.Exists(path)) return Empty;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var added = new List<AddedToken>();
            if (root.TryGetProperty("added_tokens_decoder", out var decoder) && decoder.ValueKind == JsonValueKind.Object)
                foreach (var p in decoder.EnumerateObject())
                    added.Add(new AddedToken(int.Parse(p.Name, System.Globalization.CultureInfo.InvariantCulture),
                        p.Value.GetProperty("content").GetString()!,
                        TokenizerJsonReader.Flag(p.Value, "special"),
                        TokenizerJsonReader.Flag(p.Value, "lstrip"),
                        TokenizerJsonReader.Flag(p.Value, "rstrip")));
            bool? addBos = root.TryGetProperty("add_bos_token", out var ab) && ab.ValueKind is JsonValueKind.True or JsonValueKind.False
                ? ab.GetBoolean() : null;
            return new TokenizerConfig(Token(root, "bos_token"), Token(root, "eos_token"), Token(root, "pad_token"),
                addBos, ReadTemplate(path, root), added);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException)
        {
            throw new TokenizerFormatException(path, $"not a valid tokenizer_config.json ({e.Message})");
        }
    }

    // Special tokens are either a string or an AddedToken object {"content": ...} (older files).
    private static string? Token(JsonElement root, string name) =>
        !root.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.String ? v.GetString()
        : v.ValueKind == JsonValueKind.Object && v.TryGetProperty("content", out var c) ? c.GetString()
        : null;

    // `chat_template` is a string, or a list of {name, template} where "default" is the one apply_chat_template uses.
    private static string? ReadTemplate(string path, JsonElement root)
    {
        if (!root.TryGetProperty("chat_template", out var t)) return null;
        if (t.ValueKind == JsonValueKind.String) return t.GetString();
        if (t.ValueKind == JsonValueKind.Array)
            return t.EnumerateArray().FirstOrDefault(x => x.GetProperty("name").GetString() == "default") is { ValueKind: JsonValueKind.Object } d
                ? d.GetProperty("template").GetString()
                : throw new TokenizerFormatException(path, "chat_template is a list without a 'default' entry");
        return null;
    }
}
