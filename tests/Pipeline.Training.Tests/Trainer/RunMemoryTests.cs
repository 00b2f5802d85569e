// train_summary.json reports the run's own memory: the peak RSS since the run started (not since the process did),
// the RSS once set up, and the most RSS seen between steps.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Trainer;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

[Collection(ProcessMemoryCollection.Name)]
public sealed class RunMemoryTests
{
    [Fact]
    public void Summary_holds_the_peak_memory_of_this_run_not_of_the_process()
    {
        // An earlier job of the same worker process that peaked high: 400 MB written, then freed.
        long earlierPeak;
        using (var big = ones(100L << 20, ScalarType.Float32))
            earlierPeak = TorchRuntime.ResidentBytes();
        ProcessMemoryCollection.Settle();
        Assert.True(TorchRuntime.ResidentBytes() < earlierPeak - (200L << 20), "the earlier job's memory was not given back");

        var data = TrainingFixture.Data(Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), take: 8);
        using var scratch = new TempDir();
        var dir = scratch.Path;
        using var model = TrainingFixture.Model();
        var result = OrpoTrainer.Train(model, data, null, TrainingFixture.SmallConfig with { MaxSteps = 3 }, dir, false, null, CancellationToken.None);

        var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, TrainOutput.SummaryFile))).RootElement;
        var peak = summary.GetProperty("peak_memory_bytes").GetInt64();
        Assert.Equal("cpu_rss", summary.GetProperty("peak_memory_kind").GetString());
        Assert.Equal(result.PeakMemoryBytes, peak);
        Assert.True(peak < earlierPeak - (200L << 20), $"peak {peak >> 20} MiB includes the earlier job's {earlierPeak >> 20} MiB");
        var afterSetup = summary.GetProperty("memory_after_setup_bytes").GetInt64();
        var betweenSteps = summary.GetProperty("memory_between_steps_bytes").GetInt64();
        Assert.InRange(afterSetup, 1, peak);
        Assert.InRange(betweenSteps, 1, peak);
        // metrics.jsonl carries it too, so the report can show it.
        var logged = File.ReadAllLines(Path.Combine(dir, TrainOutput.MetricsFile)).Select(l => JsonDocument.Parse(l).RootElement).Last();
        Assert.InRange(logged.GetProperty("peak_memory_bytes").GetDouble(), afterSetup, peak);
    }
}
