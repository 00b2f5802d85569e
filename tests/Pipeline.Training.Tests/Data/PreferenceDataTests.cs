// Preference files: TRL's standard and conversational formats; bad rows name the file, line and reason.
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Data;

public sealed class PreferenceDataTests
{
    private static string Write(string text)
    {
        var path = Path.Combine(TrainingFixture.TempDir(), "pairs.jsonl");
        File.WriteAllText(path, text);
        return path;
    }

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
