// torch.nn.utils.clip_grad_norm_ kept on the device: the global L2 norm of all gradients and the scaling by
// min(1, max_norm / (norm + 1e-6)) as torch computes them. TorchSharp's clip_grad_norm_ returns the norm as a double,
// which would be a host sync in every step.
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
        var norms = grads.Select(g => linalg.vector_norm(g, 2)).ToList();
        var norm = norms.Count == 1 ? norms[0] : linalg.vector_norm(stack(norms), 2); // () as libtorch's clip_grad_norm_
        if (maxNorm > 0)
        {
            using var noGrad = no_grad();
            var scale = (maxNorm / (norm + 1e-6)).clamp_max(1.0);
            foreach (var g in grads)
                g.mul_(scale);
        }
        return norm.MoveToOuterDisposeScope();
    }
}
