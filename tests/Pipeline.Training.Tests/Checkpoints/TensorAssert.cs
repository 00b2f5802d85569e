// Exact tensor comparison for tests (TorchSharp's Tensor.equal is element-wise, not torch.equal).
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Checkpoints;

internal static class TensorAssert
{
    public static bool Same(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
