// One renderer per chat template family, each a transcription of that family's Jinja template (no tools).
// Jinja's `trim` is Python's str.strip(); `x.strip('\n')` trims newlines only.
using System.Text;

namespace Pipeline.Shared.Tokenization;

internal static class ChatRenderers
{
    public static string ChatMl(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? defaultSystem)
    {
        var sb = new StringBuilder();
        if (defaultSystem is not null && messages.Count > 0 && messages[0].Role != "system")
            sb.Append("<|im_start|>system\n").Append(defaultSystem).Append("<|im_end|>\n");
        foreach (var m in messages)
            sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    // Qwen3: the assistant turns after the last user query carry a <think> block (empty when there is no reasoning).
    public static string Qwen3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        var sb = new StringBuilder();
        if (messages.Count > 0 && messages[0].Role == "system")
            sb.Append("<|im_start|>system\n").Append(messages[0].Content).Append("<|im_end|>\n");
        var lastQuery = messages.Count - 1;
        for (var i = messages.Count - 1; i >= 0; i--)
            if (messages[i].Role == "user" && !(messages[i].Content.StartsWith("<tool_response>", StringComparison.Ordinal)
                                               && messages[i].Content.EndsWith("</tool_response>", StringComparison.Ordinal)))
            {
                lastQuery = i;
                break;
            }
        for (var i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == "user" || m.Role == "system" && i > 0)
                sb.Append("<|im_start|>").Append(m.Role).Append('\n').Append(m.Content).Append("<|im_end|>\n");
            else if (m.Role == "assistant")
            {
                var content = m.Content;
                var reasoning = "";
                if (content.Contains("</think>", StringComparison.Ordinal))
                {
                    var parts = m.Content.Split("</think>");
                    content = parts[^1].TrimStart('\n');
                    reasoning = parts[0].TrimEnd('\n').Split("<think>")[^1].TrimStart('\n');
                }
                sb.Append("<|im_start|>assistant\n");
                if (i > lastQuery && (i == messages.Count - 1 || reasoning.Length > 0))
                    sb.Append("<think>\n").Append(reasoning.Trim('\n')).Append("\n</think>\n\n").Append(content.TrimStart('\n'));
                else
                    sb.Append(content);
                sb.Append("<|im_end|>\n");
            }
            else if (m.Role == "tool")
                throw new ChatTemplateException("The qwen3 chat template is rendered without tools: role 'tool' is not supported.");
        }
        if (addGenerationPrompt) sb.Append("<|im_start|>assistant\n");
        return sb.ToString();
    }

    public static string Llama3(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            if (i == 0) sb.Append(bos);
            sb.Append("<|start_header_id|>").Append(messages[i].Role).Append("<|end_header_id|>\n\n")
                .Append(messages[i].Content.Trim()).Append("<|eot_id|>");
        }
        if (addGenerationPrompt) sb.Append("<|start_header_id|>assistant<|end_header_id|>\n\n");
        return sb.ToString();
    }

    public static string Llama2(IReadOnlyList<ChatMessage> messages, string bos, string eos)
    {
        var (system, turns) = SplitSystem(messages);
        var sb = new StringBuilder();
        for (var i = 0; i < turns.Count; i++)
        {
            CheckAlternation(turns[i], i);
            var content = i == 0 && system is not null ? $"<<SYS>>\n{system}\n<</SYS>>\n\n{turns[i].Content}" : turns[i].Content;
            if (turns[i].Role == "user")
                sb.Append(bos).Append("[INST] ").Append(content.Trim()).Append(" [/INST]");
            else if (turns[i].Role == "assistant")
                sb.Append(' ').Append(content.Trim()).Append(' ').Append(eos);
        }
        return sb.ToString();
    }

    public static string Mistral(IReadOnlyList<ChatMessage> messages, string bos, string eos)
    {
        var sb = new StringBuilder(bos);
        for (var i = 0; i < messages.Count; i++)
        {
            CheckAlternation(messages[i], i);
            if (messages[i].Role == "user")
                sb.Append("[INST] ").Append(messages[i].Content).Append(" [/INST]");
            else if (messages[i].Role == "assistant")
                sb.Append(messages[i].Content).Append(eos);
            else
                throw new ChatTemplateException("Only user and assistant roles are supported!");
        }
        return sb.ToString();
    }

    public static string Zephyr(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string eos)
    {
        var sb = new StringBuilder();
        for (var i = 0; i < messages.Count; i++)
        {
            if (messages[i].Role is "user" or "system" or "assistant")
                sb.Append("<|").Append(messages[i].Role).Append("|>\n").Append(messages[i].Content).Append(eos).Append('\n');
            if (i == messages.Count - 1 && addGenerationPrompt) sb.Append("<|assistant|>\n");
        }
        return sb.ToString();
    }

    public static string Gemma(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bos, bool supportsSystem)
    {
        var (system, turns) = SplitSystem(messages);
        if (system is not null && !supportsSystem)
            throw new ChatTemplateException("System role not supported");
        var sb = new StringBuilder(bos);
        for (var i = 0; i < turns.Count; i++)
        {
            CheckAlternation(turns[i], i);
            var role = turns[i].Role == "assistant" ? "model" : turns[i].Role;
            sb.Append("<start_of_turn>").Append(role).Append('\n');
            if (i == 0 && system is not null) sb.Append(system).Append("\n\n");
            sb.Append(turns[i].Content.Trim()).Append("<end_of_turn>\n");
        }
        if (addGenerationPrompt) sb.Append("<start_of_turn>model\n");
        return sb.ToString();
    }

    private static (string? System, IReadOnlyList<ChatMessage> Turns) SplitSystem(IReadOnlyList<ChatMessage> messages) =>
        messages.Count > 0 && messages[0].Role == "system" ? (messages[0].Content, messages.Skip(1).ToList()) : (null, messages);

    private static void CheckAlternation(ChatMessage m, int index)
    {
        if (m.Role == "user" != (index % 2 == 0))
            throw new ChatTemplateException("Conversation roles must alternate user/assistant/user/assistant/...");
    }
}
