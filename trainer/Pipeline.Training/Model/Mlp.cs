// SwiGLU feed-forward (Hugging Face LlamaMLP): down(silu(gate(x)) * up(x)). Projections via .call() so adapters hook in.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear gate_proj, up_proj, down_proj;

    internal Mlp(LlamaConfig config, ParameterAllocator weights) : base(nameof(Mlp))
    {
        gate_proj = weights.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        up_proj = weights.Linear(config.HiddenSize, config.IntermediateSize, hasBias: config.MlpBias);
        down_proj = weights.Linear(config.IntermediateSize, config.HiddenSize, hasBias: config.MlpBias);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (B, T, C)
    {
        using var scope = NewDisposeScope();
        var h = nn.functional.silu(gate_proj.call(x)) * up_proj.call(x); // (B, T, I)
        return down_proj.call(h).MoveToOuterDisposeScope();                // (B, T, C)
    }
}
