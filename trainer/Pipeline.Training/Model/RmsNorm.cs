// Root-mean-square layer norm, as Hugging Face's LlamaRMSNorm: computed in float32, cast back, then scaled.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double eps;

    internal RmsNorm(long size, double eps, ParameterAllocator weights) : base(nameof(RmsNorm))
    {
        weight = weights.Ones(size);
        this.eps = eps;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) // (..., C)
    {
        using var scope = NewDisposeScope();
        var x32 = x.to_type(ScalarType.Float32);
        var variance = x32.pow(2).mean([-1], keepdim: true);             // (..., 1)
        var normed = (x32 * rsqrt(variance + eps)).to_type(x.dtype);   // (..., C) in x's dtype
        return (weight * normed).MoveToOuterDisposeScope();
    }
}
