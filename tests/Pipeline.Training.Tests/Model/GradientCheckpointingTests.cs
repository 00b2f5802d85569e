// gradient_checkpointing: the same loss and gradients as keeping every activation (full fine-tuning, and LoRA with
// dropout active, whose masks the recomputation must replay), the same training run, and far less activation memory.
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using Pipeline.Training.Tests.Orpo;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;
using Xunit.Abstractions;

namespace Pipeline.Training.Tests.Model;

[Collection(nameof(GlobalStateCollection))] // seeds the global torch RNG
public sealed class GradientCheckpointingTests
{
    private static OrpoBatch Batch(out OrpoNormalizer normalizer)
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 6);
        var batch = PairCollator.Collate(data.Pairs, data.PadTokenId);
        normalizer = new OrpoNormalizer(data.Pairs.Sum(p => p.ChosenIds.Length - 1), data.Pairs.Count);
        return batch;
    }

    [Fact]
    public void Checkpointed_full_fine_tuning_gives_the_same_loss_and_gradients()
    {
        using var scope = NewDisposeScope();
        var batch = Batch(out var normalizer);
        using var plain = TrainingFixture.Model();
        using var checkpointed = TrainingFixture.Model();
        var a = OrpoPass.ForwardBackward(plain, batch, 0.1, normalizer, gradientCheckpointing: false);
        var b = OrpoPass.ForwardBackward(checkpointed, batch, 0.1, normalizer, gradientCheckpointing: true);

        Assert.True(Math.Abs(a.Loss.item<float>() - b.Loss.item<float>()) <= 1e-6 * Math.Abs(a.Loss.item<float>()));
        ChunkedTokenLogpsTests.AssertSameGradients(plain, checkpointed, relative: 1e-5);
    }

    [Fact]
    public void Checkpointed_LoRA_replays_its_dropout_masks_and_gives_the_same_gradients()
    {
        using var scope = NewDisposeScope();
        var batch = Batch(out var normalizer);
        var options = new LoraOptions(R: 4, Alpha: 8, Dropout: 0.3, TargetModules: ["q_proj", "v_proj", "gate_proj", "down_proj"]);
        (LoraAdapter Adapter, CausalLm Model, float Loss) Run(bool checkpointing, bool dropout = true)
        {
            var model = TrainingFixture.Model();
            random.manual_seed(11);
            var adapter = LoraAdapter.Attach(model, options);                     // same A init from the same seed
            using (no_grad()) foreach (var p in adapter.parameters().Where(p => p.shape[1] == options.R)) p.normal_(0, 0.1); // B != 0
            if (!dropout) adapter.DisableDropout();
            model.train();
            random.manual_seed(12);
            var loss = OrpoPass.ForwardBackward(model, batch, 0.1, normalizer, checkpointing).Loss.item<float>();
            return (adapter, model, loss);
        }

        var plain = Run(false);
        var checkpointed = Run(true);
        var noDropout = Run(false, dropout: false);

        Assert.NotEqual(plain.Loss, noDropout.Loss); // dropout is active: the masks matter
        Assert.Equal(plain.Loss, checkpointed.Loss, 6);
        ChunkedTokenLogpsTests.AssertSameGradients(plain.Adapter, checkpointed.Adapter, relative: 1e-5);
        Assert.All(plain.Model.parameters(), p => Assert.Null(p.grad)); // the frozen base gets no gradient
        foreach (var run in new[] { plain, checkpointed, noDropout }) { run.Adapter.Dispose(); run.Model.Dispose(); }
    }

    [Fact]
    public void A_checkpointed_run_trains_as_the_plain_one()
    {
        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        List<TrainProgress> Train(bool checkpointing)
        {
            using var model = TrainingFixture.Model();
            var log = new ProgressLog();
            using var scratch = new TempDir();
            OrpoTrainer.Train(model, data, null, TrainingFixture.SmallConfig with { GradientCheckpointing = checkpointing, MaxSteps = 4 },
                scratch.Path, false, log, CancellationToken.None);
            return log.Reports;
        }

        var plain = Train(false);
        var checkpointed = Train(true);
        Assert.Equal(4, checkpointed.Count);
        for (var i = 0; i < plain.Count; i++)
        {
            Assert.True(Math.Abs(plain[i].Loss - checkpointed[i].Loss) <= 1e-5 * plain[i].Loss, $"step {i + 1}: {plain[i].Loss} vs {checkpointed[i].Loss}");
            Assert.True(Math.Abs(plain[i].GradNorm - checkpointed[i].GradNorm) <= 1e-4 * plain[i].GradNorm, $"step {i + 1} grad_norm");
        }
    }
}

/// <summary>Activation memory with and without checkpointing, by peak RSS: alone, since RSS is process-wide.</summary>
[Collection(ProcessMemoryCollection.Name)]
public sealed class GradientCheckpointingMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void Checkpointing_keeps_a_fraction_of_the_activation_memory()
    {
        // 16 layers, 8 rows x 128 tokens: activations (over 100 MB) dwarf the weights (a few MB).
        var config = new LlamaConfig
        {
            VocabSize = 256, HiddenSize = 64, IntermediateSize = 256, NumHiddenLayers = 16, NumAttentionHeads = 4,
            NumKeyValueHeads = 4, MaxPositionEmbeddings = 256, TieWordEmbeddings = true,
        };
        using var model = new CausalLm(config, seed: 5);
        using var generator = new Generator(6);
        var ids = randint(0, 256, [8, 128], dtype: ScalarType.Int64, generator: generator);    // (2B, T)
        var labels = ids.clone();
        labels[.., ..32] = OrpoLoss.IgnoreIndex;
        var batch = new OrpoBatch(ids, ones_like(ids), labels);
        var normalizer = new OrpoNormalizer(4 * 127, 4);
        // Every block of 64 KiB or more is mapped and unmapped on its own, so RSS follows the live tensors closely
        // instead of the heap's high-water mark.
        TorchRuntime.Configure(Environment.ProcessorCount, mmapThresholdBytes: 64 << 10);

        long PeakGrowth(bool checkpointing)
        {
            foreach (var p in model.parameters()) p.grad = null;
            ProcessMemoryCollection.Settle();
            TorchRuntime.ResetPeakResident();
            var before = TorchRuntime.ResidentBytes();
            using (NewDisposeScope())
                OrpoPass.ForwardBackward(model, batch, 0.1, normalizer, checkpointing);
            return TorchRuntime.PeakResidentBytes() - before;
        }

        long plain, checkpointed;
        try
        {
            PeakGrowth(false); // warm-up: JIT and first-touch of the allocator's arenas
            PeakGrowth(true);
            plain = PeakGrowth(false);
            checkpointed = PeakGrowth(true);
        }
        finally
        {
            TorchRuntime.Configure(Environment.ProcessorCount);
        }
        output.WriteLine($"peak RSS growth over forward + backward: plain {plain >> 20} MiB, checkpointed {checkpointed >> 20} MiB");
        Assert.True(checkpointed < 0.5 * plain, $"checkpointed {checkpointed >> 20} MiB vs plain {plain >> 20} MiB");
    }
}
