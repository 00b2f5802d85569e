// LoRA (Hu et al. 2021) as PEFT's lora.Linear: y = W0 x + b + (lora_alpha / r) * B A dropout(x), W0 frozen. The adapter is
// a forward hook on each target Linear (the model calls its projections with .call()), so the base model's state-dict keys
// are untouched and A, B live in the adapter. Dropout acts on the adapter input only, in training mode only. PEFT layout.
using System.Text.Json;
using Pipeline.Training.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

public sealed record LoraOptions(int R, double Alpha, double Dropout, IReadOnlyList<string> TargetModules)
{
    public double Scaling => Alpha / R;
}

/// <summary>One adapted layer: A (r, in) Kaiming-uniform, B (out, r) zero, so training starts from the base model.</summary>
internal sealed class LoraPair : nn.Module
{
    private readonly Parameter lora_A, lora_B;

    public LoraPair(long inFeatures, long outFeatures, int r, Device device) : base(nameof(LoraPair))
    {
        lora_A = new Parameter(empty(r, inFeatures, device: device));
        lora_B = new Parameter(zeros(outFeatures, r, device: device));
        using (no_grad()) nn.init.kaiming_uniform_(lora_A, a: Math.Sqrt(5));
        RegisterComponents();
    }

    public Parameter A => lora_A;
    public Parameter B => lora_B;
}

public sealed class LoraAdapter : nn.Module
{
    private readonly List<(string Name, Linear Layer, LoraPair Pair, Action Unhook)> _layers = [];

    public LoraOptions Options { get; }

    /// <summary>The dropout probability applied in training mode: Options.Dropout unless <see cref="DisableDropout"/>.</summary>
    public double ActiveDropout { get; private set; }

    /// <summary>Options.Scaling held for the adapter's life (an implicit Scalar per call could be freed mid-call; see AdamW.Step).</summary>
    private readonly Scalar _scaling;

    private LoraAdapter(LoraOptions options) : base(nameof(LoraAdapter)) =>
        (Options, ActiveDropout, _scaling) = (options, options.Dropout, options.Scaling.ToScalar());

    /// <summary>Freezes <paramref name="model"/> and adapts every Linear whose last name part is a target module.</summary>
    public static LoraAdapter Attach(nn.Module model, LoraOptions options)
    {
        if (options.Dropout is < 0 or >= 1)
            throw new InvalidDataException($"lora_dropout {options.Dropout} must be in [0, 1).");
        var adapter = new LoraAdapter(options);
        foreach (var p in model.parameters()) p.requires_grad = false;
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not Linear linear || !options.TargetModules.Contains(name.Split('.')[^1])) continue;
            var w = linear.weight!;
            var pair = new LoraPair(w.shape[1], w.shape[0], options.R, w.device);
            adapter.register_module(name.Replace('.', '_'), pair);
            var hook = linear.register_forward_hook((layer, x, y) => adapter.AddDelta(layer, x, y, pair));
            adapter._layers.Add((name, linear, pair, hook.remove));
        }
        if (adapter._layers.Count == 0)
            throw new InvalidDataException($"lora_target_modules [{string.Join(", ", options.TargetModules)}] match no Linear layer of the model.");
        return adapter;
    }

    public int AdaptedLayers => _layers.Count;

    /// <summary>As TRL's disable_dropout_in_model, which also zeroes PEFT's lora_dropout: the adapter then runs without dropout.</summary>
    public void DisableDropout() => ActiveDropout = 0;

    /// <summary>
    /// y + s B A dropout(x) as PEFT's lora.Linear: the adapter runs in its own dtype (float32) and the sum is taken there,
    /// then cast back to y's dtype, so a bf16 base rounds once. x (..., in), y (..., out).
    /// </summary>
    private Tensor AddDelta(nn.Module<Tensor, Tensor> layer, Tensor x, Tensor y, LoraPair pair)
    {
        var h = layer.training && ActiveDropout > 0 ? nn.functional.dropout(x, ActiveDropout, training: true) : x;
        var delta = nn.functional.linear(nn.functional.linear(h.to_type(pair.A.dtype), pair.A), pair.B).mul(_scaling); // (..., out)
        return y.dtype == delta.dtype ? y + delta : (y.to_type(delta.dtype) + delta).to_type(y.dtype);
    }

    /// <summary>
    /// Writes W0 + s B A into every adapted layer and removes the hooks, so the model alone computes the adapted function
    /// (PEFT's merge_and_unload); for saving merged weights. The adapter no longer acts afterwards.
    /// </summary>
    public void Merge()
    {
        using var _ = no_grad();
        foreach (var (_, layer, pair, unhook) in _layers)
        {
            MergeInto(layer, pair);
            unhook();
        }
        _layers.Clear();
    }

    /// <summary>
    /// Writes W0 + s B A into the same-named layers of <paramref name="model"/> (the base loaded again in its stored
    /// dtype, so a float32 base keeps its precision even when training ran in bf16). The adapter stays attached where it was.
    /// </summary>
    public void MergeInto(nn.Module model)
    {
        var linears = model.named_modules().Where(m => m.module is Linear).ToDictionary(m => m.name, m => (Linear)m.module);
        using var _ = no_grad();
        foreach (var (name, _, pair, _) in _layers)
            MergeInto(linears.TryGetValue(name, out var layer) ? layer : throw new InvalidDataException($"the model has no layer '{name}' to merge into."), pair);
    }

    private void MergeInto(Linear layer, LoraPair pair) => TrainedModel.MergeLora(layer.weight!, pair.A, pair.B, Options.Scaling);

    /// <summary>Reads A and B of every adapted layer from a PEFT adapter folder written by <see cref="SavePeft"/>.</summary>
    public void LoadPeft(string dir)
    {
        var path = Path.Combine(dir, "adapter_model.safetensors");
        var targets = new Dictionary<string, Tensor>();
        foreach (var (name, _, pair, _) in _layers)
        {
            targets[$"base_model.model.{name}.lora_A.weight"] = pair.A;
            targets[$"base_model.model.{name}.lora_B.weight"] = pair.B;
        }
        var entries = Safetensors.ReadHeaders(path).SelectMany(h => h.Tensors.Values).ToDictionary(e => e.Name);
        var missing = targets.Keys.Where(k => !entries.ContainsKey(k) || !entries[k].Shape.SequenceEqual(targets[k].shape)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"{path}: missing or misshapen adapter weights: {string.Join(", ", missing)}.");
        using var _ = no_grad();
        Safetensors.ReadInto(path, targets);
    }

    /// <summary>PEFT layout: adapter_config.json and adapter_model.safetensors (base_model.model.&lt;name&gt;.lora_A.weight).</summary>
    public void SavePeft(string dir, string baseModel)
    {
        Directory.CreateDirectory(dir);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, _, pair, _) in _layers)
        {
            tensors[$"base_model.model.{name}.lora_A.weight"] = pair.A.detach().contiguous();
            tensors[$"base_model.model.{name}.lora_B.weight"] = pair.B.detach().contiguous();
        }
        Safetensors.Write(tensors, Path.Combine(dir, "adapter_model.safetensors"));
        var config = new Dictionary<string, object?>
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["base_model_name_or_path"] = baseModel,
            ["r"] = Options.R,
            ["lora_alpha"] = Options.Alpha,
            ["lora_dropout"] = Options.Dropout,
            ["target_modules"] = Options.TargetModules,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = true,
            ["modules_to_save"] = null,
        };
        File.WriteAllText(Path.Combine(dir, "adapter_config.json"), JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var (_, _, _, unhook) in _layers) unhook();
            _layers.Clear();
            _scaling.Dispose();
        }
        base.Dispose(disposing);
    }
}
