// Preference files: TRL's standard and conversational formats; bad rows name the file, line and reason.
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Data;

/// <summary>Alone: the 100 MB line test counts the process's allocations, which tests beside it would add to.</summary>
[Collection(ProcessMemoryCollection.Name)]
public sealed class PreferenceDataTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string text) => _dir.Write(text);

    [Fact]
    public void Rejects_a_row_without_rejected_naming_file_line_and_reason()
    {
        var path = Write("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n\n{\"prompt\":\"a\",\"chosen\":\"b\"}\n");
        var e = Assert.Throws<InvalidDataException>(() => PreferenceData.Load(path));
        Assert.Equal($"{path}:3: missing \"rejected\"", e.Message);
    }

    [Fact]
    public void Rejects_invalid_JSON_naming_the_line()
    {
        var path = Write("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{oops\n");
        var e = Assert.Throws<InvalidDataException>(() => PreferenceData.Load(path));
        Assert.StartsWith($"{path}:2: not valid JSON", e.Message);
    }

    [Fact]
    public void A_100_mb_line_is_refused_as_too_long_without_being_held_in_memory()
    {
        using var scratch = new TempDir();
        var path = scratch.File("long.jsonl");
        using (var file = File.Create(path))
        {
            file.Write("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\""u8);
            var chunk = new byte[1 << 20];
            chunk.AsSpan().Fill((byte)'x');
            for (var i = 0; i < 100; i++) file.Write(chunk);
            file.Write("\",\"chosen\":\"b\",\"rejected\":\"c\"}\n"u8);
        }
        var before = GC.GetTotalAllocatedBytes(precise: true);

        var e = Assert.Throws<InvalidDataException>(() => PreferenceData.Load(path));

        Assert.StartsWith($"{path}:2: too_long: row is {(100 << 20) + 41} bytes, over the line limit of {16 << 20} bytes", e.Message);
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 64L << 20, "the 100 MB line was buffered");
    }

    [Fact]
    public void Refuses_a_lone_surrogate_and_utf16_as_validation_does()
    {
        var surrogate = Write("{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n{\"prompt\":\"a\\ud800\",\"chosen\":\"b\",\"rejected\":\"c\"}\n");
        using var scratch = new TempDir();
        var utf16 = scratch.File("utf16.jsonl");
        File.WriteAllText(utf16, "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}\n", System.Text.Encoding.Unicode);
        var control = Write("{\"prompt\":\"a\\u0007\",\"chosen\":\"b\",\"rejected\":\"c\"}\n");

        Assert.StartsWith($"{surrogate}:2: invalid_encoding", Assert.Throws<InvalidDataException>(() => PreferenceData.Load(surrogate)).Message);
        Assert.Contains("invalid_encoding: the file is UTF-16", Assert.Throws<InvalidDataException>(() => PreferenceData.Load(utf16)).Message);
        Assert.StartsWith($"{control}:1: invalid_encoding: contains control character U+0007", Assert.Throws<InvalidDataException>(() => PreferenceData.Load(control)).Message);
    }

    [Fact]
    public void Reads_a_json_array_like_the_same_rows_in_json_lines()
    {
        const string row = "{\"prompt\":\"a\",\"chosen\":\"b\",\"rejected\":\"c\"}";
        var lines = Write(row + "\n" + row.Replace("\"a\"", "\"d\"") + "\n");
        using var scratch = new TempDir();
        var array = scratch.File("pairs.json");
        File.WriteAllText(array, "[" + row + ",\n " + row.Replace("\"a\"", "\"d\"") + "]");

        Assert.Equal(PreferenceData.Load(lines).Select(r => (r.Prompt, r.Chosen, r.Rejected)), PreferenceData.Load(array).Select(r => (r.Prompt, r.Chosen, r.Rejected)));
    }

    [Fact]
    public void Renders_conversational_rows_with_the_chat_template_as_TRL_does()
    {
        var path = Write("""{"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"Go away."}]}""");
        ChatRenderer chatMl = (messages, generation) =>
            ChatTemplates.Render(ChatTemplates.ChatMl, [.. messages.Select(m => new ChatMessage(m.Role, m.Content))], generation, null, null);

        var row = Assert.Single(PreferenceData.Load(path, chatMl));

        Assert.True(row.Conversational);
        Assert.EndsWith("<|im_start|>assistant\n", row.Prompt);
        Assert.StartsWith("Hello!<|im_end|>", row.Chosen);
        Assert.StartsWith("Go away.<|im_end|>", row.Rejected);
    }

    [Fact]
    public void Rejects_conversational_rows_when_the_tokenizer_has_no_chat_template()
    {
        var path = Write("""{"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"No."}]}""");
        var e = Assert.Throws<InvalidDataException>(() => PreferenceData.Load(path));
        Assert.Contains(":1: conversational row, but the tokenizer has no chat_template", e.Message);
    }
}
