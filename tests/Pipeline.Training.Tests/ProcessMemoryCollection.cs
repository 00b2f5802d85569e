// Tests that measure this process's RSS run alone: any test running beside them would move the figures.
namespace Pipeline.Training.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMemoryCollection
{
    public const string Name = "Process memory";

    /// <summary>Frees what earlier tests left to the finalizer and returns freed heap to the OS before a measurement.</summary>
    public static void Settle()
    {
        for (var before = -1L; before != TorchSharp.torch.Tensor.TotalCount;)
        {
            before = TorchSharp.torch.Tensor.TotalCount;
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        TorchRuntime.TrimHeap();
    }
}
