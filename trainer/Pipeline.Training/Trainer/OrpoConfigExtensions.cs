// What the training code derives from an OrpoConfig (plain data in shared): the over-long pair policy and LoRA options.
using Pipeline.Shared.Orpo;
using Pipeline.Training.Data;

namespace Pipeline.Training.Trainer;

public static class OrpoConfigExtensions
{
    private static readonly string[] AllLinear = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    extension(OrpoConfig c)
    {
        public OverlongPolicy Overlong => (c.OverlongPairs switch
        {
            "drop" => OverlongPolicy.Drop,
            "truncate_prompt" => OverlongPolicy.TruncatePrompt,
            _ => OverlongPolicy.Truncate,
        }) with { MaxPromptLength = c.MaxPromptLength, MaxCompletionLength = c.MaxCompletionLength, KeepStart = c.TruncationMode == "keep_start" };

        /// <summary>The adapter to train with use_peft (PEFT's Llama defaults q_proj, v_proj without lora_target_modules;
        /// "all-linear" is every Linear of the decoder, the output layer excepted, as PEFT resolves it).</summary>
        public LoraOptions? Lora => c.UsePeft ? new(c.LoraR, c.LoraAlpha, c.LoraDropout, c.LoraTargetModules switch
        {
            null => ["q_proj", "v_proj"],
            ["all-linear"] => AllLinear,
            var modules => modules,
        }) : null;
    }
}
