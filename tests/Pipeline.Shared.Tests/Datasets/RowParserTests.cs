// Row-level validation: each schema's mapping to the normalised form and each reason code.
using System.Text;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class RowParserTests
{
    private static ParsedRow Parse(string json, string? schema = null, IReadOnlyDictionary<string, string>? mapping = null) =>
        new RowParser(schema, mapping).Parse(Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Normalises_standard_row_to_system_then_user_prompt()
    {
        var row = Parse("""{"system":"Be brief.","prompt":"Hi?","chosen":"Hello.","rejected":"Go away."}""");
        Assert.Null(row.Reason);
        Assert.Equal(SchemaNames.Standard, row.Schema);
        Assert.Equal([new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi?")], row.Pair!.Prompt);
        Assert.Equal([new ChatMessage("assistant", "Hello.")], row.Pair.Chosen);
        Assert.Equal("""{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"Hello."}],"rejected":[{"role":"assistant","content":"Go away."}]}""",
            Encoding.UTF8.GetString(row.Pair.ToJsonLine()));
    }

    [Fact]
    public void Keeps_a_standard_row_without_system_as_raw_text_in_trls_standard_format()
    {
        var row = Parse("""{"prompt":"<|im_start|>user\nHi?<|im_end|>\n","chosen":"Hello.","rejected":"Go away."}""");

        Assert.Equal(SchemaNames.Standard, row.Schema);
        Assert.True(row.Pair!.IsStandard);
        var line = Encoding.UTF8.GetString(row.Pair.ToJsonLine());
        Assert.Equal("""{"prompt":"<|im_start|>user\nHi?<|im_end|>\n","chosen":"Hello.","rejected":"Go away."}""", line);
        var back = PreferencePair.FromJsonLine(Encoding.UTF8.GetBytes(line));
        Assert.True(back.IsStandard);
        Assert.Equal(("<|im_start|>user\nHi?<|im_end|>\n", "Hello.", "Go away."), (back.Prompt[0].Content, back.Chosen[0].Content, back.Rejected[0].Content));
    }

    [Fact]
    public void Extracts_an_implicit_string_prompt_as_trls_extract_prompt_and_keeps_it_raw_text()
    {
        var row = Parse("""{"chosen":"Where is my parcel? It left the depot.","rejected":"Where is my parcel? Ask the courier."}""");

        Assert.Equal(SchemaNames.ImplicitPrompt, row.Schema);
        Assert.Equal("""{"prompt":"Where is my parcel?","chosen":" It left the depot.","rejected":" Ask the courier."}""",
            Encoding.UTF8.GetString(row.Pair!.ToJsonLine()));
    }

    [Fact]
    public void Rejects_pair_when_chosen_equals_rejected_after_whitespace_normalisation()
    {
        var row = Parse("""{"prompt":"Hi?","chosen":"Hello  there.","rejected":" Hello\nthere. "}""");
        Assert.Equal(ReasonCodes.IdenticalPair, row.Reason);
    }

    [Fact]
    public void Accepts_pair_that_differs_only_inside_a_word()
    {
        Assert.Null(Parse("""{"prompt":"Hi?","chosen":"Hello there.","rejected":"Hellothere."}""").Reason);
    }

    [Theory]
    [InlineData("""{"prompt":"Hi?","chosen":"A."}""", ReasonCodes.MissingField, "rejected")]
    [InlineData("""{"prompt":"Hi?","chosen":42,"rejected":"B."}""", ReasonCodes.WrongType, "chosen")]
    [InlineData("""{"prompt":"   ","chosen":"A.","rejected":"B."}""", ReasonCodes.EmptyField, "prompt")]
    [InlineData("""{"prompt":"Hi\u0000?","chosen":"A.","rejected":"B."}""", ReasonCodes.InvalidEncoding, "U+0000")]
    [InlineData("""{"prompt":"Hi\ud800?","chosen":"A.","rejected":"B."}""", ReasonCodes.InvalidEncoding, "")]
    [InlineData("""{"question":"Hi?","answer":"A."}""", ReasonCodes.UnknownSchema, "question")]
    [InlineData("""[1,2,3]""", ReasonCodes.WrongType, "object")]
    [InlineData("""{"prompt":"Hi?",""", ReasonCodes.MalformedJson, "")]
    [InlineData("""{"prompt":[{"role":"assistant","content":"x"}],"chosen":[{"role":"assistant","content":"A"}],"rejected":[{"role":"assistant","content":"B"}]}""", ReasonCodes.InvalidRoleOrder, "expected 'user'")]
    [InlineData("""{"prompt":[{"role":"user","content":"x"}],"chosen":[{"role":"user","content":"A"}],"rejected":[{"role":"assistant","content":"B"}]}""", ReasonCodes.InvalidRoleOrder, "chosen")]
    public void Rejects_row_with_stable_reason_and_a_message_naming_the_problem(string json, string reason, string inMessage)
    {
        var row = Parse(json);
        Assert.Equal(reason, row.Reason);
        Assert.Contains(inMessage, row.Message);
    }

    [Fact]
    public void Reads_openai_preference_fine_tuning_rows()
    {
        var row = Parse("""{"input":{"messages":[{"role":"user","content":"Hi?"}],"tools":[]},"preferred_output":[{"role":"assistant","content":"Hello."}],"non_preferred_output":[{"role":"assistant","content":"No."}]}""");
        Assert.Equal(SchemaNames.OpenAi, row.Schema);
        Assert.Equal("No.", row.Pair!.Rejected[0].Content);
    }

    [Fact]
    public void Extracts_implicit_prompt_as_the_longest_common_message_prefix()
    {
        var row = Parse("""{"chosen":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello."}],"rejected":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"No."}]}""");
        Assert.Equal(SchemaNames.ImplicitPrompt, row.Schema);
        Assert.Equal([new ChatMessage("user", "Hi?")], row.Pair!.Prompt);
        Assert.Equal([new ChatMessage("assistant", "Hello.")], row.Pair.Chosen);
    }

    [Fact]
    public void Extracts_the_prompt_from_conversations_when_the_prompt_column_is_a_plain_string_as_trl_does()
    {
        var row = Parse("""{"prompt":"Hi?","chosen":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello."}],"rejected":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"No."}]}""");
        Assert.Equal(SchemaNames.ImplicitPrompt, row.Schema);
        Assert.Equal([new ChatMessage("user", "Hi?")], row.Pair!.Prompt);
        Assert.Equal([new ChatMessage("assistant", "No.")], row.Pair.Rejected);
    }

    [Fact]
    public void Maps_columns_of_other_datasets_through_the_profile()
    {
        // argilla/distilabel-intel-orca-dpo-pairs: system, input, chosen, rejected.
        var mapping = new Dictionary<string, string> { ["prompt"] = "input" };
        var row = Parse("""{"system":"You are helpful.","input":"2+2?","chosen":"4","rejected":"5"}""", mapping: mapping);
        Assert.Equal(SchemaNames.Mapped, row.Schema);
        Assert.Equal("2+2?", row.Pair!.Prompt[1].Content);
    }

    [Fact]
    public void Rejects_json_nested_ten_thousand_deep_without_overflowing_the_stack()
    {
        var deep = new string('[', 10_000) + new string(']', 10_000);
        var row = Parse($$"""{"prompt":{{deep}},"chosen":"A","rejected":"B"}""");
        Assert.Equal(ReasonCodes.MalformedJson, row.Reason);
        Assert.Contains("depth", row.Message, StringComparison.OrdinalIgnoreCase);
    }
}
