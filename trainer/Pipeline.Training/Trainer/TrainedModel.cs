// Opens what `train` writes for `eval` and `generate`: a Hugging Face model folder (the output, a full fine-tuning
// checkpoint-{N}/, merged/) or a PEFT adapter folder (a LoRA output or checkpoint), merged into its base on load.
using System.Text.Json;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Model;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

public static class TrainedModel
{
    public const string AdapterConfigFile = "adapter_config.json";

    /// <summary>The model of <paramref name="dir"/>; an old TorchSharp checkpoint (weights.dat) is a clear error.</summary>
    public static CausalLm Load(string dir, Device device)
    {
        Checkpoint.RefuseLegacy(dir);
        var adapterConfig = Path.Combine(dir, AdapterConfigFile);
        if (File.Exists(Path.Combine(dir, HfModelFolder.ConfigFileName)) || !File.Exists(adapterConfig))
            return HfModelFolder.Load(dir, device);

        // PEFT: adapter_config.json names the base; the adapter is merged in float32 and the hooks removed.
        var peft = JsonDocument.Parse(File.ReadAllText(adapterConfig)).RootElement;
        var baseModel = peft.TryGetProperty("base_model_name_or_path", out var b) ? b.GetString() : null;
        if (string.IsNullOrEmpty(baseModel) || !Directory.Exists(baseModel))
            throw new DirectoryNotFoundException($"{adapterConfig}: base_model_name_or_path '{baseModel}' is not a folder here; " +
                "open the run's merged/ model, or copy the base model to that path.");
        var options = new LoraOptions(peft.GetProperty("r").GetInt32(), peft.GetProperty("lora_alpha").GetDouble(), 0,
            [.. peft.GetProperty("target_modules").EnumerateArray().Select(e => e.GetString()!)]);
        var model = HfModelFolder.Load(baseModel, device);
        try
        {
            using var adapter = LoraAdapter.Attach(model, options);
            adapter.LoadPeft(dir);
            adapter.Merge();
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
