// Opens what `train` writes for `eval` and `generate`: a Hugging Face model folder (the output, a full fine-tuning
// checkpoint-{N}/, merged/) or a PEFT LoRA adapter folder (a LoRA output or checkpoint), merged into its base on load
// as PEFT's merge_and_unload: W = W0 + (lora_alpha / r) B A, summed in float32 and rounded once into W's dtype.
using System.Text.Json;
using Pipeline.Training.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Checkpoints;

public static class TrainedModel
{
    public const string AdapterConfigFile = "adapter_config.json", AdapterWeightsFile = "adapter_model.safetensors";

    /// <summary>What checkpoints of earlier versions held (TorchSharp's own format): recognised only to refuse them clearly.</summary>
    public const string LegacyWeights = "weights.dat";

    /// <summary>The model of <paramref name="dir"/>; an old TorchSharp checkpoint (weights.dat) is a clear error.</summary>
    public static CausalLm Load(string dir, Device device)
    {
        RefuseLegacy(dir);
        var adapterConfig = Path.Combine(dir, AdapterConfigFile);
        if (File.Exists(Path.Combine(dir, HfModelFolder.ConfigFileName)) || !File.Exists(adapterConfig))
            return HfModelFolder.Load(dir, device);

        var peft = JsonDocument.Parse(File.ReadAllText(adapterConfig)).RootElement;
        var baseModel = peft.TryGetProperty("base_model_name_or_path", out var b) ? b.GetString() : null;
        if (string.IsNullOrEmpty(baseModel) || !Directory.Exists(baseModel))
            throw new DirectoryNotFoundException($"{adapterConfig}: base_model_name_or_path '{baseModel}' is not a folder here; " +
                "open the run's merged/ model, or copy the base model to that path.");
        var scaling = peft.GetProperty("lora_alpha").GetDouble() / peft.GetProperty("r").GetInt32();
        var model = HfModelFolder.Load(baseModel, device);
        try
        {
            Merge(model, Path.Combine(dir, AdapterWeightsFile), scaling);
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    // base_model.model.<module>.lora_A.weight (r, in) and .lora_B.weight (out, r), PEFT's keys.
    private static void Merge(CausalLm model, string adapterPath, double scaling)
    {
        using var scope = NewDisposeScope();
        var adapter = Safetensors.Read(adapterPath);
        var linears = model.named_modules().Where(m => m.module is Linear).ToDictionary(m => m.name, m => (Linear)m.module);
        const string Prefix = "base_model.model.", A = ".lora_A.weight", B = ".lora_B.weight";
        var names = adapter.Keys.Where(k => k.StartsWith(Prefix, StringComparison.Ordinal) && k.EndsWith(A, StringComparison.Ordinal))
            .Select(k => k[Prefix.Length..^A.Length]).ToList();
        if (names.Count == 0) throw new InvalidDataException($"{adapterPath}: no LoRA weights ({Prefix}<module>{A}).");
        using var noGrad = no_grad();
        foreach (var name in names)
        {
            var layer = linears.TryGetValue(name, out var l) ? l : throw new InvalidDataException($"{adapterPath}: the base model has no layer '{name}'.");
            var down = adapter[Prefix + name + A].to(layer.weight!.device);                                                       // (r, in)
            var up = (adapter.TryGetValue(Prefix + name + B, out var u) ? u : throw new InvalidDataException($"{adapterPath}: no {name}{B}."))
                .to(layer.weight.device);                                                                                            // (out, r)
            MergeLora(layer.weight, down, up, scaling);
        }
        foreach (var t in adapter.Values) t.Dispose();
    }

    /// <summary>
    /// W = W0 + s B A, PEFT's merge: the sum is taken in float32 and rounded once into the weight's dtype (bf16: the
    /// nearest bf16 to W0 + s B A). <paramref name="weight"/> (out, in), <paramref name="down"/> A (r, in), <paramref name="up"/> B (out, r).
    /// </summary>
    internal static void MergeLora(Tensor weight, Tensor down, Tensor up, double scaling)
    {
        using var scope = NewDisposeScope();
        using TorchSharp.Scalar s = scaling;
        weight.copy_(weight.to_type(ScalarType.Float32) + up.to_type(ScalarType.Float32).matmul(down.to_type(ScalarType.Float32)).mul(s));
    }

    /// <summary>A checkpoint of an earlier version (TorchSharp weights.dat): a clear error instead of a missing-file one.</summary>
    public static void RefuseLegacy(string dir)
    {
        if (File.Exists(Path.Combine(dir, LegacyWeights)))
            throw new InvalidDataException($"{dir}: a checkpoint in the old TorchSharp format ({LegacyWeights}) of an earlier version; " +
                "it cannot be opened or resumed any more. Use the run's final model, or train again into an empty folder.");
    }
}
