// Shared pieces of the training tests: the tiny Llama checkpoint, its tokenizer, the committed synthetic preference set
// (tools/synthetic_preferences.py), a small config, and helpers to compare weights and to stop a run part-way.
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using Pipeline.Training.Trainer;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Testing;

public static class TrainingFixture
{
    public static string SyntheticDir => Path.Combine(RepoPaths.Root, "tests", "Pipeline.Testing", "SyntheticData");

    public static HfTokenizer Tokenizer { get; } = HfTokenizer.Load(RepoPaths.TinyLlama);

    public static CausalLm Model() => HfModelFolder.Load(RepoPaths.TinyLlama, CPU);

    public static TokenizedData Data(string path, int take = int.MaxValue) =>
        TokenizedData.From([.. PreferenceData.Load(path).Take(take)], Tokenizer, 256, OverlongPolicy.Drop);

    /// <summary>Trains a fresh model into <paramref name="dir"/> and cancels it once step <paramref name="step"/> is done, as
    /// a killed run would stop; the checkpoints written before then stay in <paramref name="dir"/>.</summary>
    public static void TrainUntilCancelledAfter(int step, TokenizedData data, OrpoConfig config, string dir)
    {
        using var cts = new CancellationTokenSource();
        using var model = Model();
        Assert.ThrowsAny<OperationCanceledException>(() => OrpoTrainer.Train(
            model, data, null, config, dir, false, new ProgressLog(p => { if (p.Step == step) cts.Cancel(); }), cts.Token));
    }

    /// <summary>Every parameter's raw bytes, for bitwise comparison.</summary>
    public static Dictionary<string, byte[]> WeightBytes(nn.Module model) =>
        model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.contiguous().bytes.ToArray());

    public static OrpoConfig SmallConfig => new()
    {
        LearningRate = 1e-3,
        PerDeviceTrainBatchSize = 4,
        MaxSteps = 6,
        LoggingSteps = 1,
        SaveSteps = 0,
        WarmupSteps = 2,
    };
}

/// <summary>Collects progress reports synchronously (IProgress&lt;T&gt;'s Progress posts to the thread pool).</summary>
public sealed class ProgressLog(Action<TrainProgress>? onReport = null) : IProgress<TrainProgress>
{
    public List<TrainProgress> Reports { get; } = [];

    public void Report(TrainProgress value)
    {
        Reports.Add(value);
        onReport?.Invoke(value);
    }
}
