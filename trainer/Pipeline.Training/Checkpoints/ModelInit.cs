// A randomly initialised model folder of a named preset with a real GPT-2/ChatML tokenizer, loadable by transformers
// and by HfModelFolder.Load: what `pipeline init-model`, the demo and the tests start from.
using Pipeline.Training.Model;

namespace Pipeline.Training.Checkpoints;

public sealed record InitModelOptions(string Preset, string Output, long Seed)
{
    public void Validate()
    {
        if (!ModelPresets.Names.Contains(Preset))
            throw new ArgumentException($"--preset: unknown preset '{Preset}' (choose one of: {string.Join(", ", ModelPresets.Names)}).");
        if (string.IsNullOrWhiteSpace(Output))
            throw new ArgumentException("--output: a folder is required.");
    }
}

public static class ModelInit
{
    /// <summary>Writes config.json, model.safetensors and the tokenizer files into <see cref="InitModelOptions.Output"/>.</summary>
    public static LlamaConfig Write(InitModelOptions options)
    {
        options.Validate();
        using var model = new CausalLm(ModelPresets.Get(options.Preset), options.Seed);
        HfModelFolder.Save(model, options.Output);
        TinyTokenizerFiles.WriteGpt2ChatMl(options.Output);
        return model.Config;
    }
}
