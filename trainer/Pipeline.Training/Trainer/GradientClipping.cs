// torch.nn.utils.clip_grad_norm_ kept on the device: the global L2 norm of all gradients and the scaling by
// min(1, max_norm / (norm + 1e-6)) as torch computes them. TorchSharp's clip_grad_norm_ returns the norm as a double,
// which would be a host sync in every step.
// No TorchSharp call here takes a temporary Scalar: `linalg.vector_norm(t, double)` wraps the order in a Scalar that
// nothing keeps alive, and a GC on another thread can finalise it while libtorch still reads it ("Unknown scalar
// type", seen once in CI; TorchSharp PR #1434 is open). Tensor.norm(float) builds its Scalar natively and runs the
// same vector-norm kernel; the Scalars below live to the end of the method.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

internal static class GradientClipping
{
    /// <summary>Scales the gradients in place when their norm exceeds <paramref name="maxNorm"/> (0: never); returns the norm ().</summary>
    public static Tensor ClipGradNorm(IReadOnlyList<Parameter> parameters, double maxNorm)
    {
        using var scope = NewDisposeScope();
        var grads = parameters.Select(p => p.grad).OfType<Tensor>().ToList();
        if (grads.Count == 0)
            return zeros(Array.Empty<long>(), ScalarType.Float32, parameters.Count > 0 ? parameters[0].device : CPU).MoveToOuterDisposeScope();
        var norms = grads.Select(g => g.norm(2f)).ToList();
        var norm = norms.Count == 1 ? norms[0] : stack(norms).norm(2f); // () as libtorch's clip_grad_norm_
        if (maxNorm > 0)
        {
            using var noGrad = no_grad();
            using Scalar max = maxNorm, eps = 1e-6, one = 1.0;
            var scale = norm.add(eps, one).reciprocal().mul(max).clamp_max(one);
            foreach (var g in grads)
                g.mul_(scale);
        }
        return norm.MoveToOuterDisposeScope();
    }
}
