// The normalised row every schema becomes, and its one-line JSON form in datasets/{target}/{datasetId}/*.jsonl, in one
// of TRL's two preference formats, so the line itself says which it is:
//   standard (raw text, no chat template):  {"prompt":"...","chosen":"...","rejected":"..."}
//   conversational (the chat template):     {"prompt":[{"role":"system"|"user"|"assistant","content":"..."}, ...],  ends with user
//                                            "chosen":[{"role":"assistant","content":"..."}, ...], "rejected":[...]}
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

/// <param name="IsStandard">Raw text (TRL's standard format): one user message as the prompt and one assistant message
/// per completion, written as plain strings; the trainer tokenizes them without a chat template.</param>
public sealed record PreferencePair(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Chosen, IReadOnlyList<ChatMessage> Rejected,
    bool IsStandard = false)
{
    /// <summary>A standard (raw text) pair.</summary>
    public static PreferencePair Standard(string prompt, string chosen, string rejected) =>
        new([new("user", prompt)], [new("assistant", chosen)], [new("assistant", rejected)], IsStandard: true);

    internal static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The normalised JSON line (no trailing newline), UTF-8.</summary>
    public byte[] ToJsonLine() => ToJsonLine(out _);

    /// <summary>The normalised line; <paramref name="promptBytes"/> is the length of its `{"prompt":...` prefix,
    /// which identifies the prompt (the train/eval split hashes it).</summary>
    public byte[] ToJsonLine(out int promptBytes)
    {
        // One buffer and writer per thread: validation calls this for every row on every core.
        var (buffer, w) = t_writer ??= NewWriter();
        buffer.ResetWrittenCount();
        w.Reset(buffer);
        w.WriteStartObject();
        if (IsStandard)
        {
            w.WriteString("prompt", Prompt[0].Content);
            w.Flush();
            promptBytes = buffer.WrittenCount;
            w.WriteString("chosen", Chosen[0].Content);
            w.WriteString("rejected", Rejected[0].Content);
        }
        else
        {
            WriteMessages(w, "prompt", Prompt);
            w.Flush();
            promptBytes = buffer.WrittenCount;
            WriteMessages(w, "chosen", Chosen);
            WriteMessages(w, "rejected", Rejected);
        }
        w.WriteEndObject();
        w.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    [ThreadStatic] private static (ArrayBufferWriter<byte>, Utf8JsonWriter)? t_writer;

    private static (ArrayBufferWriter<byte>, Utf8JsonWriter) NewWriter()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        return (buffer, new Utf8JsonWriter(buffer, WriterOptions));
    }

    private static void WriteMessages(Utf8JsonWriter w, string name, IReadOnlyList<ChatMessage> messages)
    {
        w.WriteStartArray(name);
        foreach (var m in messages)
        {
            w.WriteStartObject();
            w.WriteString("role", m.Role);
            w.WriteString("content", m.Content);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    /// <summary>Reads one normalised line back (the trainer's side of the format).</summary>
    public static PreferencePair FromJsonLine(ReadOnlySpan<byte> line)
    {
        var reader = new Utf8JsonReader(line);
        using var doc = JsonDocument.ParseValue(ref reader);
        var root = doc.RootElement;
        if (root.GetProperty("prompt").ValueKind == JsonValueKind.String)
            return Standard(root.GetProperty("prompt").GetString()!, root.GetProperty("chosen").GetString()!, root.GetProperty("rejected").GetString()!);
        return new PreferencePair(Read(root, "prompt"), Read(root, "chosen"), Read(root, "rejected"));

        static IReadOnlyList<ChatMessage> Read(JsonElement root, string name) =>
            root.GetProperty(name).EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))
                .ToList();
    }
}
