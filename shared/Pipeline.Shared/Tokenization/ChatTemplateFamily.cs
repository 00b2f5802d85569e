// The chat template families we render natively; the name is what a target profile's `chat_template` field holds.
namespace Pipeline.Shared.Tokenization;

public enum ChatTemplateFamily
{
    /// <summary>`<|im_start|>role\n...<|im_end|>\n` (SmolLM, Qwen2 / 2.5, many fine-tunes); optional default system prompt.</summary>
    ChatMl,

    /// <summary>ChatML with Qwen3's `<think>` block on the assistant turn after the last user message.</summary>
    Qwen3,

    /// <summary>`<|start_header_id|>role<|end_header_id|>\n\n...<|eot_id|>` (Llama 3 / 3.2 without the 3.1 date preamble).</summary>
    Llama3,

    /// <summary>`<s>[INST] <<SYS>>...<</SYS>> ... [/INST] answer </s>` (Llama 2 chat).</summary>
    Llama2,

    /// <summary>`<s>[INST] ... [/INST]answer</s>` (Mistral 7B Instruct v0.1 / v0.2); no system role.</summary>
    Mistral,

    /// <summary>`<|user|>\n...</s>\n` (Zephyr, TinyLlama chat).</summary>
    Zephyr,

    /// <summary>`<start_of_turn>user\n...<end_of_turn>\n`, assistant as `model` (Gemma 1 / 2 / 3).</summary>
    Gemma,
}
