// Reads preference pairs in TRL's formats from JSONL: standard ({"prompt","chosen","rejected"} strings) or
// conversational (lists of {"role","content"} messages, rendered by a chat template). Bad rows name file, line, reason.
using System.Text;
using System.Text.Json;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
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

    /// <summary>The pairs of <paramref name="path"/>, read by the ingestion readers with the default profile's limits
    /// (max_line_bytes, max_file_bytes, UTF-8 only): a 100 MB line is too_long, not 200 MB of string; UTF-16 and lone
    /// surrogates are invalid_encoding, as `validate` says. The first bad row stops the load naming file, line and reason.
    /// JSON Lines (any other extension reads as JSON Lines), .jsonl.gz, a .json array and Parquet are read.</summary>
    public static IReadOnlyList<PreferenceRow> Load(string path, ChatRenderer? chat = null)
    {
        var rows = new List<PreferenceRow>();
        foreach (var (line, json) in ReadRows(path, TargetProfile.Default))
            rows.Add(Parse(path, line, Encoding.UTF8.GetString(json), chat));
        if (rows.Count == 0) throw new InvalidDataException($"{path}: no preference pairs.");
        return rows;
    }

    /// <summary>Raw rows (UTF-8 JSON objects) with their line or row numbers, through the shared bounded readers.</summary>
    private static IEnumerable<(int Line, byte[] Json)> ReadRows(string path, TargetProfile limits)
    {
        var name = DatasetFile.IsSupported(path) ? path : path + ".jsonl";
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var file = Wait(DatasetFile.OpenAsync(stream, name, limits.MaxFileBytes, limits.MaxLineBytes, CancellationToken.None));
        try
        {
            while (true)
            {
                RawBatch? batch;
                try
                {
                    batch = Wait(file.Reader.NextAsync(CancellationToken.None).AsTask());
                }
                catch (RowReadException e)
                {
                    throw new InvalidDataException(e.Row is { } row ? $"{path}:{row}: {e.Reason}: {e.Message}" : $"{path}: {e.Reason}: {e.Message}", e);
                }
                catch (DataLimitExceededException e)
                {
                    throw new InvalidDataException($"{path}: {ReasonCodes.FileTooLarge}: {e.Message}", e);
                }
                if (batch is null) yield break;
                foreach (var row in batch.Rows)
                {
                    var line = (int)Math.Min(row.Number, int.MaxValue);
                    if (row.OversizeBytes > 0)
                        throw new InvalidDataException($"{path}:{line}: {ReasonCodes.TooLong}: row is {row.OversizeBytes} bytes, over the line limit of {limits.MaxLineBytes} bytes");
                    var json = batch.Bytes(row).ToArray();
                    if (RowParser.EncodingProblem(json) is { } problem) throw new InvalidDataException($"{path}:{line}: {ReasonCodes.InvalidEncoding}: {problem}");
                    yield return (line, json);
                }
                batch.Release();
            }
        }
        finally
        {
            Wait(file.DisposeAsync().AsTask());
        }
    }

    /// <summary>The readers are asynchronous; loading is not (its callers are synchronous), and nothing here needs a context.</summary>
    private static T Wait<T>(Task<T> task) => task.ConfigureAwait(false).GetAwaiter().GetResult();

    private static void Wait(Task task) => task.ConfigureAwait(false).GetAwaiter().GetResult();

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
            var row = new PreferenceRow(line, Text(prompt, Where), Text(chosen, Where), Text(rejected, Where));
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

    /// <summary>A JSON string's text, checked as validation checks it: no unpaired surrogate escape ("\ud800"), no
    /// control character but tab, CR and LF.</summary>
    private static string Text(JsonElement e, Func<string, string> where)
    {
        string text;
        try
        {
            text = e.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException(where($"{ReasonCodes.InvalidEncoding}: {ex.Message}"), ex);
        }
        return RowParser.ContentProblem(text) is { } problem ? throw new InvalidDataException(where($"{ReasonCodes.InvalidEncoding}: {problem}")) : text;
    }

    private static List<ChatMessage> Messages(JsonElement e, Func<string, string> where) =>
        [.. e.EnumerateArray().Select(m =>
            m.ValueKind == JsonValueKind.Object && m.TryGetProperty("role", out var r) && m.TryGetProperty("content", out var c)
                && r.ValueKind == JsonValueKind.String && c.ValueKind == JsonValueKind.String
                ? new ChatMessage(Text(r, where), Text(c, where))
                : throw new InvalidDataException(where("a message needs string \"role\" and \"content\"")))];
}
