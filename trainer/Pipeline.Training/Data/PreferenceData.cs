// Reads preference pairs in TRL's formats from JSONL: standard ({"prompt","chosen","rejected"} strings) or
// conversational (lists of {"role","content"} messages, rendered by a chat template). Bad rows name file, line, reason.
using System.Text.Json;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Data;

/// <summary>One pair as text; Conversational rows were rendered by a chat template (their special tokens are real).</summary>
public sealed record PreferenceRow(int Line, string Prompt, string Chosen, string Rejected, bool Conversational = false);

/// <summary>
/// Renders conversational rows as `transformers` would (TRL maybe_apply_chat_template): prompt with the generation
/// prompt, completion = render(prompt + completion) after the rendered prompt.
/// </summary>
public delegate string ChatRenderer(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt);

public static class PreferenceData
{
    /// <summary>The tokenizer's chat template as a renderer, or null when it has none.</summary>
    public static ChatRenderer? ChatFor(HfTokenizer tokenizer) => tokenizer.ChatTemplate is not { } template ? null
        : (messages, addGenerationPrompt) => ChatTemplates.Render(
            template, messages, addGenerationPrompt, tokenizer.BosToken, tokenizer.EosToken);

    /// <summary>A file, or a dataset folder holding <paramref name="split"/>.jsonl.</summary>
    public static string Resolve(string fileOrDir, string split = "train")
    {
        if (File.Exists(fileOrDir)) return fileOrDir;
        var inDir = Path.Combine(fileOrDir, split + ".jsonl");
        if (Directory.Exists(fileOrDir) && File.Exists(inDir)) return inDir;
        throw new FileNotFoundException($"{fileOrDir}: no such file, nor a dataset folder with {split}.jsonl.");
    }

    public static IReadOnlyList<PreferenceRow> Load(string path, ChatRenderer? chat = null)
    {
        var rows = new List<PreferenceRow>();
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            rows.Add(Parse(path, line, text, chat));
        }
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no preference pairs.");
        return rows;
    }

    private static PreferenceRow Parse(string path, int line, string text, ChatRenderer? chat)
    {
        string Where(string reason) => $"{path}:{line}: {reason}";
        JsonElement root;
        try { root = JsonDocument.Parse(text).RootElement; }
        catch (JsonException e) { throw new InvalidDataException(Where($"not valid JSON ({e.Message})"), e); }
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException(Where("expected a JSON object"));

        JsonElement Field(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
            ? v : throw new InvalidDataException(Where($"missing \"{name}\""));
        var (prompt, chosen, rejected) = (Field("prompt"), Field("chosen"), Field("rejected"));

        if (prompt.ValueKind == JsonValueKind.String && chosen.ValueKind == JsonValueKind.String && rejected.ValueKind == JsonValueKind.String)
        {
            var row = new PreferenceRow(line, prompt.GetString()!, chosen.GetString()!, rejected.GetString()!);
            if (row.Chosen.Length == 0 || row.Rejected.Length == 0) throw new InvalidDataException(Where("empty completion"));
            return row;
        }
        if (prompt.ValueKind == JsonValueKind.Array && chosen.ValueKind == JsonValueKind.Array && rejected.ValueKind == JsonValueKind.Array)
        {
            if (chat is null) throw new InvalidDataException(Where("conversational row, but the tokenizer has no chat_template"));
            var p = Messages(prompt, Where);
            var renderedPrompt = chat(p, true);
            string Completion(JsonElement e)
            {
                var full = chat([.. p, .. Messages(e, Where)], false);
                if (!full.StartsWith(renderedPrompt, StringComparison.Ordinal))
                    throw new InvalidDataException(Where("the chat template does not render the prompt as a prefix of prompt + completion"));
                return full[renderedPrompt.Length..];
            }
            return new PreferenceRow(line, renderedPrompt, Completion(chosen), Completion(rejected), Conversational: true);
        }
        throw new InvalidDataException(Where("prompt, chosen and rejected must all be strings or all be lists of messages"));
    }

    private static List<ChatMessage> Messages(JsonElement e, Func<string, string> where) =>
        [.. e.EnumerateArray().Select(m =>
            m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && m.TryGetProperty("content", out var c)
                && r.ValueKind == JsonValueKind.String && c.ValueKind == JsonValueKind.String
                ? new ChatMessage(r.GetString()!, c.GetString()!)
                : throw new InvalidDataException(where("a message needs string \"role\" and \"content\"")))];
}
