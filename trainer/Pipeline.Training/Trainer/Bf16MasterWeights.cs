// bf16 mixed precision without autocast (TorchSharp has none): the model's parameters are bfloat16 and run forward and
// backward; float32 master copies receive the gradients, are clipped, updated by AdamW, checkpointed and saved, and are
// copied back into the model after each update. The ORPO loss upcasts logits to float32 (OrpoLoss).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

public sealed class Bf16MasterWeights : nn.Module
{
    private readonly nn.Module _model;
    private readonly List<(string Name, Parameter Master)> _masters = [];
    private Dictionary<string, Parameter> _working = [];

    private Bf16MasterWeights(nn.Module model) : base(nameof(Bf16MasterWeights)) => _model = model;

    /// <summary>Takes float32 master copies of the trainable parameters, then turns the model into bfloat16.</summary>
    public static Bf16MasterWeights Attach(nn.Module model)
    {
        var mixed = new Bf16MasterWeights(model);
        foreach (var (name, p) in model.named_parameters().Where(p => p.parameter.requires_grad))
        {
            var master = new Parameter(p.detach().to_type(ScalarType.Float32).clone());
            mixed.register_parameter(name.Replace('.', '_'), master);
            mixed._masters.Add((name, master));
        }
        model.to(ScalarType.BFloat16);
        mixed._working = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        return mixed;
    }

    /// <summary>
    /// Adds the bf16 gradients into the float32 masters and frees them (the next backward allocates afresh, so no bf16
    /// gradient is held between steps); call after each micro-step backward.
    /// </summary>
    public void PullGradients()
    {
        using var _ = no_grad();
        foreach (var (name, master) in _masters)
        {
            var working = _working[name];
            if (working.grad is not { } g) continue;
            if (master.grad is { } acc) acc.add_(g.to_type(ScalarType.Float32));
            else master.grad = g.to_type(ScalarType.Float32);
            working.grad = null;
            g.Dispose();
        }
    }

    /// <summary>Copies the masters into the bf16 model (rounding to nearest); call after each update and after a resume.</summary>
    public void PushWeights()
    {
        using var _ = no_grad();
        foreach (var (name, master) in _masters)
            _working[name].copy_(master);
    }

    /// <summary>Turns the model back into float32 holding exactly the master weights (for saving).</summary>
    public void Restore()
    {
        _model.to(ScalarType.Float32);
        var state = _model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var (name, master) in _masters)
            state[name].copy_(master);
    }
}
