// Data as TRL reads it: standard rows stay raw text, special-token text maps to special ids (checked against Hugging Face
// `tokenizers`), implicit prompts in both forms, TRL's common-prefix rule for templates whose prompt is no prefix.
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;
using Pipeline.Training.Data;
using Pipeline.Training.Tests.Model;

namespace Pipeline.Training.Tests.Data;

public sealed class TrlDataTests(TinyTokenizerFolder Dir) : IClassFixture<TinyTokenizerFolder>, IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Write(string text) => _dir.Write(text);

    private static readonly ChatRenderer ChatMl = (messages, generation) =>
        ChatTemplates.Render(ChatTemplates.ChatMl, [.. messages], generation, null, null);

    [Fact]
    public void A_standard_row_stays_raw_text_even_when_the_tokenizer_has_a_chat_template()
    {
        var path = Write("""{"prompt":"<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n","chosen":"Hello!","rejected":"Go away."}""");

        var row = Assert.Single(PreferenceData.Load(path, ChatMl));

        Assert.False(row.Conversational);
        Assert.Equal("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n", row.Prompt);
        Assert.Equal(("Hello!", "Go away."), (row.Chosen, row.Rejected));
    }

    [Fact]
    public void Special_token_text_in_a_standard_row_becomes_the_special_ids_hugging_face_tokenizers_gives()
    {
        var tokenizer = HfTokenizer.Load(Dir.Value);
        const string prompt = "<|im_start|>user\nWhere is my parcel?<|im_end|>\n<|im_start|>assistant\n";
        const string chosen = "It left the depot.<|im_end|>";
        const string rejected = "No idea <|endoftext|> bye";

        var pair = new PairTokenizer(tokenizer, 1024, OverlongPolicy.Truncate).Tokenize(prompt, chosen, rejected).Pair!;
        var reference = NodeReference.Encode(Path.Combine(Dir.Value, "tokenizer.json"), [prompt, prompt + chosen, prompt + rejected]);

        // TRL: BOS + tokenizer(prompt + completion, add_special_tokens=False) + EOS unless already last.
        var (bos, eos) = (tokenizer.BosTokenId!.Value, tokenizer.EosTokenId!.Value);
        Assert.Equal([bos, .. reference.Ids[1]], pair.ChosenIds);
        Assert.Equal([bos, .. reference.Ids[2], eos], pair.RejectedIds);
        Assert.Equal(1 + reference.Ids[0].Length, pair.ChosenPromptLength);
        Assert.Contains(tokenizer.IdOf("<|im_start|>")!.Value, pair.ChosenIds);
        Assert.Contains(tokenizer.IdOf("<|endoftext|>")!.Value, pair.RejectedIds[pair.RejectedPromptLength..]);
    }

    [Fact]
    public void A_string_row_without_prompt_splits_at_the_longest_common_prefix_as_trl_extract_prompt()
    {
        var path = Write("""
            {"chosen":"Where is my parcel? It left the depot.","rejected":"Where is my parcel? Ask the courier."}
            {"chosen":"abc","rejected":"abcd"}
            """);

        var rows = PreferenceData.Load(path);

        // The space before the first difference goes to the completions.
        Assert.Equal(("Where is my parcel?", " It left the depot.", " Ask the courier."), (rows[0].Prompt, rows[0].Chosen, rows[0].Rejected));
        // One text a prefix of the other: TRL's loop ends without a break, one character before the shorter one's end.
        Assert.Equal(("ab", "c", "cd"), (rows[1].Prompt, rows[1].Chosen, rows[1].Rejected));
    }

    [Fact]
    public void A_conversation_without_prompt_takes_the_shared_messages_as_the_prompt()
    {
        var path = Write("""{"chosen":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"user","content":"Hi?"},{"role":"assistant","content":"Go away."}]}""");

        var row = Assert.Single(PreferenceData.Load(path, ChatMl));

        Assert.True(row.Conversational);
        Assert.Equal("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n", row.Prompt);
        Assert.Equal("Hello!<|im_end|>\n", row.Chosen);
        Assert.Equal("<|im_start|>assistant\n", row.AssistantHeader);
    }

    [Fact]
    public void A_template_whose_prompt_is_no_prefix_of_the_conversation_uses_trls_common_prefix()
    {
        // As DeepSeek-R1: the generation prompt adds "<think>\n", which the full conversation does not have.
        ChatRenderer thinking = (messages, generation) => ChatMl(messages, generation) + (generation ? "<think>\n" : "");
        var path = Write("""{"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"Go away."}]}""");

        var row = Assert.Single(PreferenceData.Load(path, thinking));

        Assert.Equal("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n", row.Prompt);
        Assert.Equal("Hello!<|im_end|>\n", row.Chosen);
        Assert.Equal("Go away.<|im_end|>\n", row.Rejected);
    }

    [Fact]
    public void A_standard_row_with_a_system_field_is_read_as_a_system_and_user_conversation()
    {
        var path = Write("""{"system":"Be brief.","prompt":"Hi?","chosen":"Hello!","rejected":"Go away."}""");

        var row = Assert.Single(PreferenceData.Load(path, ChatMl));

        Assert.True(row.Conversational);
        Assert.StartsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi?", row.Prompt);
    }
}
