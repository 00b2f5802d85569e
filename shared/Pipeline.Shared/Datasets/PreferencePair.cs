// The normalised row every schema becomes, and its one-line JSON form in datasets/{target}/{datasetId}/*.jsonl.
//   {"prompt":[{"role":"system"|"user"|"assistant","content":"..."}, ...],   ends with a user message
//    "chosen":[{"role":"assistant","content":"..."}, ...],                   starts with an assistant message
//    "rejected":[{"role":"assistant","content":"..."}, ...]}
// This is TRL's conversational preference format; the trainer reads it with the tokenizer's chat template.
using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Pipeline.Shared.Datasets;

public sealed record ChatMessage(string Role, string Content);

public sealed record PreferencePair(IReadOnlyList<ChatMessage> Prompt, IReadOnlyList<ChatMessage> Chosen, IReadOnlyList<ChatMessage> Rejected)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The normalised JSON line (no trailing newline), UTF-8.</summary>
    public byte[] ToJsonLine()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            WriteMessages(w, "prompt", Prompt);
            WriteMessages(w, "chosen", Chosen);
            WriteMessages(w, "rejected", Rejected);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The prompt's JSON alone (for the split hash).</summary>
    public byte[] PromptJson()
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            WriteMessages(w, "prompt", Prompt);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
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
        return new PreferencePair(Read(doc.RootElement, "prompt"), Read(doc.RootElement, "chosen"), Read(doc.RootElement, "rejected"));

        static IReadOnlyList<ChatMessage> Read(JsonElement root, string name) =>
            root.GetProperty(name).EnumerateArray()
                .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!))
                .ToList();
    }
}
