using TorchSharp;

namespace Pipeline.Training.Tests;

public sealed class TorchRuntimeTests
{
    [Fact]
    public void LibTorch_loads_and_multiplies_matrices()
    {
        var a = torch.ones(2, 3);
        var b = torch.ones(3, 4);
        Assert.Equal(3f, torch.matmul(a, b)[0, 0].item<float>());
    }
}
