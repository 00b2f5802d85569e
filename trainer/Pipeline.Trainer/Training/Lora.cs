// LoRA (Hu et al. 2021) as PEFT defines it: W = W0 + (lora_alpha / r) * B A on the target Linear layers, W0 frozen.
// The model calls its Linear layers' forward directly (no hooks run), so the adapter is applied by reparametrisation:
// W is materialised from (W0, A, B) after each update, autograd yields dL/dW, and the chain rule gives
// dL/dA = s B^T dL/dW, dL/dB = s dL/dW A^T. Exact for lora_dropout 0 (the only value accepted). Saved in PEFT layout.
using System.Text.Json;
using Pipeline.Trainer.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Trainer.Training;

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
    private readonly List<(string Name, Parameter Weight, Tensor Base, LoraPair Pair)> _layers = [];

    public LoraOptions Options { get; }

    private LoraAdapter(LoraOptions options) : base(nameof(LoraAdapter)) => Options = options;

    /// <summary>Freezes <paramref name="model"/> and adapts every Linear whose last name part is a target module.</summary>
    public static LoraAdapter Attach(nn.Module model, LoraOptions options)
    {
        if (options.Dropout != 0)
            throw new InvalidDataException("lora_dropout must be 0: the model runs its layers without hooks, so dropout on the LoRA branch alone cannot be applied.");
        var adapter = new LoraAdapter(options);
        foreach (var p in model.parameters()) p.requires_grad = false;
        foreach (var (name, module) in model.named_modules())
        {
            if (module is not Linear linear || !options.TargetModules.Contains(name.Split('.')[^1])) continue;
            var w = linear.weight!;
            var pair = new LoraPair(w.shape[1], w.shape[0], options.R, w.device);
            adapter.register_module(name.Replace('.', '_'), pair);
            adapter._layers.Add((name, w, w.detach().clone(), pair));
            w.requires_grad = true; // dL/dW is what the chain rule needs
        }
        if (adapter._layers.Count == 0)
            throw new InvalidDataException($"lora_target_modules [{string.Join(", ", options.TargetModules)}] match no Linear layer of the model.");
        adapter.Materialize();
        return adapter;
    }

    public int AdaptedLayers => _layers.Count;

    /// <summary>W = W0 + s B A in every adapted layer; call after each update of A and B.</summary>
    public void Materialize()
    {
        using var _ = no_grad();
        foreach (var (_, weight, w0, pair) in _layers)
            weight.copy_(w0 + pair.B.matmul(pair.A).mul(Options.Scaling)); // (out, in)
    }

    /// <summary>Moves dL/dW into dL/dA and dL/dB (accumulating) and clears dL/dW.</summary>
    public void PullGradients()
    {
        using var _ = no_grad();
        foreach (var (_, weight, _, pair) in _layers)
        {
            if (weight.grad is not { } g) continue;
            Accumulate(pair.A, pair.B.t().matmul(g).mul(Options.Scaling)); // (r, in)
            Accumulate(pair.B, g.matmul(pair.A.t()).mul(Options.Scaling)); // (out, r)
            g.zero_();
        }
    }

    private static void Accumulate(Parameter p, Tensor grad)
    {
        if (p.grad is { } existing) existing.add_(grad);
        else p.grad = grad.detach().clone();
    }

    /// <summary>PEFT layout: adapter_config.json and adapter_model.safetensors (base_model.model.&lt;name&gt;.lora_A.weight).</summary>
    public void SavePeft(string dir, string baseModel)
    {
        Directory.CreateDirectory(dir);
        var tensors = new Dictionary<string, Tensor>();
        foreach (var (name, _, _, pair) in _layers)
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
}
