// bfloat16: the model casts with .to(BFloat16), runs forward and backward, and stays close to float32.
using Pipeline.Training.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Model;

public sealed class PrecisionTests
{
    [Fact]
    public void Bfloat16_forward_and_backward_stay_close_to_float32()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyVariant, CPU);
        var ids = tensor(ParityTests.LoadVariantExpectation().Inputs[0]).unsqueeze(0);
        var full = model.forward(ids, null).detach();                         // (1, T, V) float32

        model.to(ScalarType.BFloat16);
        var half = model.forward(ids, torch.ones_like(ids));                  // (1, T, V) bfloat16
        Assert.Equal(ScalarType.BFloat16, half.dtype);
        // bf16 keeps 8 mantissa bits: logits of size ~30 may move by a few tenths, not more.
        var maxDiff = (half.to_type(ScalarType.Float32) - full).abs().max().item<float>();
        var scale = full.abs().max().item<float>();
        Assert.True(maxDiff < 0.03 * scale, $"bf16 differs by {maxDiff} at logit scale {scale}");

        half.to_type(ScalarType.Float32).log_softmax(-1).mean().backward();
        Assert.All(model.parameters(), p =>
        {
            Assert.NotNull(p.grad);
            Assert.True(p.grad!.isfinite().all().item<bool>());
        });
    }
}
