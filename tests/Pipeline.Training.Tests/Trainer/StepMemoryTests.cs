// No memory carried from one training step to the next: what a step allocated is given back to the OS before the
// next one starts (OrpoTrainer trims the heap after each step). Without that, 361 of the 366 MiB a step used here
// stayed resident; with it, 33-43 MiB (the AdamW moments and what the first step sets up once).
using Pipeline.Shared.Orpo;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Trainer;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

[Collection(ProcessMemoryCollection.Name)]
public sealed class StepMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void A_step_gives_back_what_it_allocated_before_the_next_step()
    {
        // 16 thin layers and 8 rows of 256 tokens: a step's activations are hundreds of sub-MiB tensors carved from
        // the heap (below the mmap threshold), the memory that used to stay resident between steps.
        var config = new LlamaConfig
        {
            VocabSize = 256, HiddenSize = 64, IntermediateSize = 256, NumHiddenLayers = 16, NumAttentionHeads = 4,
            NumKeyValueHeads = 4, MaxPositionEmbeddings = 512, TieWordEmbeddings = true,
        };
        var pairs = Enumerable.Range(0, 16).Select(i => RandomPair(i, prompt: 64, completion: 192)).ToList();
        var data = new TokenizedData(pairs, [.. Enumerable.Range(1, pairs.Count)], [], PadTokenId: 0);
        using var model = new CausalLm(config, seed: 7);
        using var scratch = new TempDir();
        ProcessMemoryCollection.Settle();
        var result = OrpoTrainer.Train(model, data, null,
            TrainingFixture.SmallConfig with { MaxSteps = 4, PerDeviceTrainBatchSize = 4, MaxLength = 512 }, scratch.Path, false, null,
            CancellationToken.None);

        var stepGrowth = result.PeakMemoryBytes - result.MemoryAfterSetupBytes;
        var carried = result.MemoryBetweenStepsBytes - result.MemoryAfterSetupBytes;
        output.WriteLine($"after setup {result.MemoryAfterSetupBytes >> 20} MiB, between steps {result.MemoryBetweenStepsBytes >> 20} MiB, peak {result.PeakMemoryBytes >> 20} MiB");
        Assert.True(stepGrowth > 64L << 20, $"a step should allocate well over 64 MiB here, grew {stepGrowth >> 20} MiB");
        Assert.True(carried < stepGrowth / 5, // a fifth: the first step also allocates the AdamW moments and runtime caches once
            $"{carried >> 20} MiB stayed resident between steps, of the {stepGrowth >> 20} MiB a step used");
    }

    private static TokenizedPair RandomPair(int seed, int prompt, int completion)
    {
        var random = SplitMix64.For(seed, 0);
        int[] Ids(int n) => [.. Enumerable.Range(0, n).Select(_ => 1 + random.NextInt(255))];
        var p = Ids(prompt);
        return new TokenizedPair([.. p, .. Ids(completion)], prompt, [.. p, .. Ids(completion)], prompt);
    }
}
