// A cheap version of the benchmark's flatness check: training steps of a tiny model leak no tensors and little RSS.
using Pipeline.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Model;

/// <summary>Runs alone: torch.Tensor.TotalCount is process-wide, so parallel tests would disturb it.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TensorCountCollection
{
    public const string Name = "Tensor count";
}

[Collection(TensorCountCollection.Name)]
public sealed class MemoryFlatnessTests
{
    [Fact]
    public void Training_steps_keep_live_tensor_count_and_rss_flat()
    {
        TorchRuntime.Configure(threads: Environment.ProcessorCount);
        // Tensors other tests left to the finalizer would otherwise be released mid-loop and move the count. A
        // finalizer can make further objects unreachable, so collect until a round frees nothing more.
        for (var before = -1L; before != torch.Tensor.TotalCount;)
        {
            before = torch.Tensor.TotalCount;
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        torch.manual_seed(3);
        using var model = new CausalLm(new LlamaConfig
        {
            VocabSize = 512, HiddenSize = 64, IntermediateSize = 172, NumHiddenLayers = 2, NumAttentionHeads = 4,
            NumKeyValueHeads = 2, MaxPositionEmbeddings = 64,
        });
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-3);
        var counts = new List<long>();
        var rss = new List<long>();
        for (var step = 0; step < 20; step++)
        {
            using (var scope = NewDisposeScope())
            {
                var ids = randint(0, 512, [4, 32], dtype: ScalarType.Int64);            // (B, T)
                var mask = ones_like(ids);
                mask[0].narrow(0, 24, 8).fill_(0);                                       // right padding in one row
                var logits = model.forward(ids, mask);                                   // (B, T, V)
                var loss = nn.functional.cross_entropy(logits.narrow(1, 0, 31).reshape(-1, 512), ids.narrow(1, 1, 31).reshape(-1));
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
            }
            // Count what is still reachable: a temporary left to the finalizer is released at the next GC, whenever
            // that falls (it depends on what other tests allocated), and would move the count by chance.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            counts.Add(torch.Tensor.TotalCount);
            rss.Add(TorchRuntime.ResidentBytes());
        }
        Assert.True(counts[4] == counts[^1], $"live tensors went from {counts[4]} to {counts[^1]}");
        Assert.True(rss[^1] - rss[4] < 16L << 20, $"RSS grew {(rss[^1] - rss[4]) >> 20} MiB over 15 steps");
    }
}
