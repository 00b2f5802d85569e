// `--resume` on a run that already finished: succeeds, says "already complete" and leaves every file as it was.
using Pipeline.Shared.Orpo;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Trainer;

public sealed class ResumeFinishedRunTests
{
    private static TrainJob Job(string output, OrpoConfig config) =>
        new(RepoPaths.TinyLlama, Path.Combine(TrainingFixture.SyntheticDir, "train.jsonl"), output, config, Resume: true);

    private static Dictionary<string, (byte[] Bytes, DateTime Written)> Snapshot(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(dir, f), f => (File.ReadAllBytes(f), File.GetLastWriteTimeUtc(f)));

    [Fact]
    public void Resuming_a_finished_run_succeeds_says_already_complete_and_changes_nothing()
    {
        using var scratch = new TempDir();
        var output = scratch.File("run");
        var config = TrainingFixture.SmallConfig with { MaxSteps = 2, SaveSteps = 1 };
        var first = OrpoTrainer.Run(Job(output, config) with { Resume = false }, null, CancellationToken.None);
        var before = Snapshot(output);

        var log = new ProgressLog();
        var again = OrpoTrainer.Run(Job(output, config), log, CancellationToken.None);

        Assert.True(again.AlreadyComplete);
        Assert.False(first.AlreadyComplete);
        Assert.Equal(first.GlobalStep, again.GlobalStep);
        Assert.Equal(first.TrainLoss, again.TrainLoss);
        Assert.Contains("already complete", log.Reports.Single().ToLine());
        var after = Snapshot(output);
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        foreach (var (file, (bytes, written)) in before)
        {
            Assert.True(bytes.AsSpan().SequenceEqual(after[file].Bytes), $"{file} changed");
            Assert.Equal(written, after[file].Written);
        }
    }

    [Fact]
    public void Resuming_a_finished_run_with_another_config_is_a_clear_error()
    {
        using var scratch = new TempDir();
        var output = scratch.File("run");
        var config = TrainingFixture.SmallConfig with { MaxSteps = 1 };
        OrpoTrainer.Run(Job(output, config) with { Resume = false }, null, CancellationToken.None);

        var e = Assert.Throws<InvalidDataException>(() => OrpoTrainer.Run(Job(output, config with { MaxSteps = 3 }), null, CancellationToken.None));

        Assert.Contains("finished run with a different configuration", e.Message);
        Assert.Contains(output, e.Message);
    }
}
