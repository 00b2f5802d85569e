// Recognises the chat template of a tokenizer_config.json by its markers and renders conversations exactly as
// transformers' apply_chat_template (Jinja, trim_blocks + lstrip_blocks) renders that family's template.
using System.Text.RegularExpressions;

namespace Pipeline.Shared.Tokenization;

public static partial class ChatTemplates
{
    /// <summary>The plain ChatML template written into tiny models (no default system prompt).</summary>
    public const string ChatMl =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Family names accepted by <see cref="FromName"/> (a target profile's `chat_template`).</summary>
    public static IReadOnlyList<string> FamilyNames { get; } = [.. Enum.GetNames<ChatTemplateFamily>().Select(n => n.ToLowerInvariant())];

    public static string Render(string template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken) =>
        Render(Recognize(template), messages, addGenerationPrompt, bosToken, eosToken);

    public static string Render(ChatTemplate template, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken)
    {
        var bos = bosToken ?? "";
        var eos = eosToken ?? "";
        return template.Family switch
        {
            ChatTemplateFamily.ChatMl => ChatRenderers.ChatMl(messages, addGenerationPrompt, template.DefaultSystemPrompt),
            ChatTemplateFamily.Qwen3 => ChatRenderers.Qwen3(messages, addGenerationPrompt),
            ChatTemplateFamily.Llama3 => ChatRenderers.Llama3(messages, addGenerationPrompt || template.AlwaysAddsGenerationPrompt, bos),
            ChatTemplateFamily.Llama2 => ChatRenderers.Llama2(messages, bos, eos),
            ChatTemplateFamily.Mistral => ChatRenderers.Mistral(messages, bos, eos),
            ChatTemplateFamily.Zephyr => ChatRenderers.Zephyr(messages, addGenerationPrompt, eos),
            ChatTemplateFamily.Gemma => ChatRenderers.Gemma(messages, addGenerationPrompt, bos, template.SupportsSystemRole),
            _ => throw new ArgumentOutOfRangeException(nameof(template), template.Family, "unknown chat template family"),
        };
    }

    /// <summary>The family of a Jinja chat template; an unknown one is a <see cref="ChatTemplateException"/> saying how to choose.</summary>
    public static ChatTemplate Recognize(string template)
    {
        if (template.Contains("<start_of_turn>", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Gemma, SupportsSystemRole: !template.Contains("System role not supported", StringComparison.Ordinal));
        if (template.Contains("<|start_header_id|>", StringComparison.Ordinal) && !template.Contains("Cutting Knowledge Date", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Llama3, AlwaysAddsGenerationPrompt: !template.Contains("add_generation_prompt", StringComparison.Ordinal));
        if (template.Contains("<|im_start|>", StringComparison.Ordinal))
            return template.Contains("<think>", StringComparison.Ordinal)
                ? new(ChatTemplateFamily.Qwen3)
                : new(ChatTemplateFamily.ChatMl, DefaultSystemPrompt: DefaultSystem(template));
        if (template.Contains("[INST]", StringComparison.Ordinal) && template.Contains("<<SYS>>", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Llama2);
        if (template.Contains("[INST]", StringComparison.Ordinal) && !template.Contains("[SYSTEM_PROMPT]", StringComparison.Ordinal)
            && !template.Contains("[AVAILABLE_TOOLS]", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Mistral);
        if (template.Contains("<|user|>", StringComparison.Ordinal) && template.Contains("<|assistant|>", StringComparison.Ordinal))
            return new(ChatTemplateFamily.Zephyr);
        var start = template.Length > 60 ? template[..60] + "..." : template;
        throw new ChatTemplateException(
            $"Chat template not recognised (it starts \"{start.ReplaceLineEndings(" ")}\"). Set `chat_template` in the target profile "
            + $"to one of: {string.Join(", ", FamilyNames)}, and check that its rendering matches the model's template.");
    }

    /// <summary>A family chosen by name (case-insensitive), with that family's defaults.</summary>
    public static ChatTemplate FromName(string name) =>
        Enum.TryParse<ChatTemplateFamily>(name, ignoreCase: true, out var family) && Enum.IsDefined(family)
            ? new ChatTemplate(family)
            : throw new ChatTemplateException($"Unknown chat template family '{name}'. Choose one of: {string.Join(", ", FamilyNames)}.");

    // A literal system turn in a ChatML template is the default written when the conversation has no system message.
    private static string? DefaultSystem(string template)
    {
        var m = DefaultSystemPattern().Match(template);
        return m.Success ? m.Groups[1].Value.Replace("\\n", "\n", StringComparison.Ordinal) : null;
    }

    [GeneratedRegex(@"<\|im_start\|>system(?:\\n|\n)([^'""<{}+]+)<\|im_end\|>")]
    private static partial Regex DefaultSystemPattern();
}
