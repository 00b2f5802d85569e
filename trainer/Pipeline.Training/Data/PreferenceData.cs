// Reads preference pairs in TRL's formats: standard ({"prompt","chosen","rejected"} strings, kept as raw text) or
// conversational (lists of {"role","content"} messages, rendered by the chat template); either with an implicit prompt
// (no "prompt": TRL's extract_prompt). Bad rows name file, line and reason.
using System.Text;
using System.Text.Json;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Training.Data;

/// <summary>One pair as the text TRL tokenizes: standard rows raw, conversational rows rendered by the chat template.</summary>
public sealed record PreferenceRow(int Line, string Prompt, string Chosen, string Rejected, bool Conversational = false)
{
    /// <summary>The template's generation prompt at the end of <see cref="Prompt"/> (e.g. "&lt;|im_start|&gt;assistant\n"):
    /// truncation never cuts it. Empty for standard rows.</summary>
    public string AssistantHeader { get; init; } = "";
}

/// <summary>Renders a conversation as transformers' apply_chat_template (tokenize=False) does.</summary>
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
        var (chosen, rejected) = (Field("chosen"), Field("rejected"));
        var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind != JsonValueKind.Null ? p : (JsonElement?)null;
        var system = root.TryGetProperty("system", out var s) && s.ValueKind == JsonValueKind.String ? Text(s, Where) : "";

        if (chosen.ValueKind == JsonValueKind.String && rejected.ValueKind == JsonValueKind.String)
        {
            var (pr, c, r) = prompt is { ValueKind: JsonValueKind.String } explicitPrompt
                ? (Text(explicitPrompt, Where), Text(chosen, Where), Text(rejected, Where))
                : ImplicitPrompt.Extract(Text(chosen, Where), Text(rejected, Where)) is { } x
                    ? (x.Prompt, x.Chosen, x.Rejected) : throw new InvalidDataException(Where("chosen and rejected share no prompt text"));
            if (c.Length == 0 || r.Length == 0) throw new InvalidDataException(Where("empty completion"));
            // A "system" field is not part of TRL's standard format: a system turn only exists in a chat template, so
            // such a row is the conversation [system, user] -> assistant (as ingestion writes it).
            if (system.Length > 0)
                return Render(chat, [new("system", system), new("user", pr)], [new("assistant", c)], [new("assistant", r)], line, Where);
            return new PreferenceRow(line, pr, c, r);
        }
        if (chosen.ValueKind == JsonValueKind.Array && rejected.ValueKind == JsonValueKind.Array)
        {
            var (chosenMessages, rejectedMessages) = (Messages(chosen, Where), Messages(rejected, Where));
            if (prompt is { ValueKind: JsonValueKind.Array } explicitPrompt)
                return Render(chat, Messages(explicitPrompt, Where), chosenMessages, rejectedMessages, line, Where);
            // TRL maybe_extract_prompt: no prompt, or a prompt of the other kind, means the prompt is implicit.
            var x = ImplicitPrompt.Extract(chosenMessages, rejectedMessages)
                ?? throw new InvalidDataException(Where("chosen and rejected share no prompt messages"));
            return Render(chat, x.Prompt, x.Chosen, x.Rejected, line, Where);
        }
        throw new InvalidDataException(Where("chosen and rejected must both be strings or both be lists of messages"));
    }

    /// <summary>A conversation rendered as TRL's apply_chat_template does (data_utils.py): the prompt with the generation
    /// prompt, then the prompt shortened to its common prefix with render(prompt + chosen) and with
    /// render(prompt + rejected), so prompt + completion is always the full rendering.</summary>
    private static PreferenceRow Render(ChatRenderer? chat, List<ChatMessage> prompt, List<ChatMessage> chosen, List<ChatMessage> rejected,
        int line, Func<string, string> where)
    {
        if (chat is null) throw new InvalidDataException(where("conversational row, but the tokenizer has no chat_template"));
        if (prompt.Count == 0 || prompt[^1].Role != "user")
            throw new InvalidDataException(where("the prompt must end with a user message"));
        var renderedPrompt = chat(prompt, true);
        var promptChosen = chat([.. prompt, .. chosen], false);
        var promptRejected = chat([.. prompt, .. rejected], false);
        // TRL apply_chat_template: takewhile over (prompt, prompt_chosen), then (prompt, prompt_rejected).
        var length = CommonPrefix(renderedPrompt, promptRejected, CommonPrefix(renderedPrompt, promptChosen, renderedPrompt.Length));
        var finalPrompt = renderedPrompt[..length];
        // The generation prompt (assistant header) is what truncation keeps at the end of a cut prompt.
        var withoutHeader = chat(prompt, false);
        var header = length == renderedPrompt.Length && renderedPrompt.StartsWith(withoutHeader, StringComparison.Ordinal)
            ? renderedPrompt[withoutHeader.Length..] : "";
        var c = promptChosen[length..];
        var r = promptRejected[length..];
        if (c.Length == 0 || r.Length == 0) throw new InvalidDataException(where("empty completion after the chat template"));
        return new PreferenceRow(line, finalPrompt, c, r, Conversational: true) { AssistantHeader = header };
    }

    private static int CommonPrefix(string a, string b, int max)
    {
        var n = Math.Min(max, Math.Min(a.Length, b.Length));
        var i = 0;
        while (i < n && a[i] == b[i]) i++;
        return i;
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
