// A recognised chat template: its family and the few details within a family that change the rendered text.
namespace Pipeline.Shared.Tokenization;

/// <param name="DefaultSystemPrompt">System turn a ChatML template writes when the conversation has none (Qwen2.5, SmolLM).</param>
/// <param name="AlwaysAddsGenerationPrompt">The template writes the assistant header even without add_generation_prompt.</param>
/// <param name="SupportsSystemRole">False for templates that raise on a system message (Gemma 1 / 2).</param>
public sealed record ChatTemplate(
    ChatTemplateFamily Family,
    string? DefaultSystemPrompt = null,
    bool AlwaysAddsGenerationPrompt = false,
    bool SupportsSystemRole = true);
