// The demo path end to end on Azurite with small sizes: two files land, the watcher ingests them, the in-process
// worker trains v0001 from the base model and v0002 from v0001, and a second run with --reuse trains nothing again.
using System.Text.Json;
using Pipeline.Cli.Demo;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker.Reports;

namespace Pipeline.Cli.Tests.Demo;

[Collection(AzuriteCollection.Name)]
public sealed class DemoEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Two_files_become_two_versions_with_reports_lineage_gate_and_latest_and_a_rerun_trains_nothing()
    {
        var state = Directory.CreateTempSubdirectory("demo-e2e-").FullName;
        var options = new DemoOptions
        {
            RepoRoot = RepoPaths.Root, StateDir = state, ConnectionString = azurite.ConnectionString, Target = "demo-e2e",
            PairsPerFile = 40, Size = DemoTrainingSize.Test, Device = "cpu", StageTimeout = TimeSpan.FromMinutes(4),
        };
        var progress = new RecordingProgress();

        var result = await new DemoRunner(options, progress).RunAsync(reuse: false, CancellationToken.None);

        // Datasets: one per file, disjoint, each with its validation report in storage.
        var storage = new StorageOptions { ConnectionString = azurite.ConnectionString };
        await using var local = Pipeline.Cli.Local.LocalIngestion.Create(storage);
        var ingestion = local.Service;
        Assert.Equal(["demo-e2e-1.jsonl", "demo-e2e-2.jsonl"], result.Datasets.Select(d => d.File));
        Assert.NotEqual(result.Datasets[0].DatasetId, result.Datasets[1].DatasetId);
        foreach (var d in result.Datasets)
        {
            Assert.Equal(40, d.RowsAccepted);
            Assert.Equal(0, d.RowsRejected);
            Assert.True(d.EvalRows > 0);
            var report = await ingestion.GetReportAsync("demo-e2e", d.DatasetId);
            Assert.NotNull(report);
            Assert.Equal(d.TrainRows, report.TrainRows);
        }

        // Versions: v0001 from the base model on file 1, v0002 continued from v0001 on file 2 (strategy from_latest).
        Assert.Equal(["v0001", "v0002"], result.Versions.Select(v => v.Version));
        var (v1, v2) = (result.Versions[0], result.Versions[1]);
        Assert.Null(v1.ParentVersion);
        Assert.Equal([result.Datasets[0].DatasetId], v1.DatasetIds);
        Assert.Equal("v0001", v2.ParentVersion);
        Assert.Equal([result.Datasets[1].DatasetId], v2.DatasetIds);
        Assert.True(v1.Gate.Passed);
        Assert.Equal("first version of the target", v1.Gate.Reason);
        Assert.Equal("v0001", v2.Gate.ComparedWith);
        foreach (var v in result.Versions)
        {
            Assert.Contains(GateDecision.AccuracyMetric, v.MetricsBefore.Keys);
            Assert.Contains(GateDecision.LossMetric, v.MetricsAfter.Keys);
            Assert.StartsWith("<!DOCTYPE html", await File.ReadAllTextAsync(v.LocalReportCopy), StringComparison.OrdinalIgnoreCase);
        }

        // Manifest lineage in storage: v0001 names the demo's base model by the hash of the folder the demo wrote,
        // v0002 names the same base model (source and hash) and v0001, with its own hash, as its parent.
        var store = new ModelVersionStore(azurite.BlobService());
        var m1 = await store.ReadManifestAsync(new ModelVersion("demo-e2e", 1), CancellationToken.None);
        var m2 = await store.ReadManifestAsync(new ModelVersion("demo-e2e", 2), CancellationToken.None);
        Assert.Equal(DemoSetup.BaseModelSpec, m1!.BaseModel.Source);
        Assert.Equal(await FileHash.FolderSha256Async(new DemoState(state).BaseModel, CancellationToken.None), m1.BaseModel.Sha256);
        Assert.Null(m1.ParentVersion);
        Assert.Equal(m1.BaseModel, m2!.BaseModel);
        Assert.Equal("v0001", m2.ParentVersion);
        Assert.Equal("v0001", m2.Parent!.Version);
        Assert.NotEqual(m1.BaseModel.Sha256, m2.Parent.Sha256);
        Assert.Equal(result.Datasets[0].RequestId, m1.RequestId);
        Assert.Equal(DemoTrainingSize.Test.MaxSteps, m1.HyperParameters.MaxSteps);

        // v0001's report holds sample generations of held-out prompts before and after training, the prompts as training
        // sees them: the demo's files are TRL standard rows (plain strings), so raw text without the chat template.
        var r1 = await store.ReadFileAsync(new ModelVersion("demo-e2e", 1), ReportFiles.InVersion(ReportFiles.JsonFile), CancellationToken.None);
        var samples = JsonDocument.Parse(r1!.ToString()).RootElement.GetProperty("samples");
        Assert.Equal(2, samples.GetArrayLength());
        foreach (var s in samples.EnumerateArray())
        {
            Assert.DoesNotContain("<|im_start|>", s.GetProperty("prompt").GetString(), StringComparison.Ordinal);
            Assert.False(string.IsNullOrWhiteSpace(s.GetProperty("prompt").GetString()));
            Assert.False(string.IsNullOrEmpty(s.GetProperty("before").GetString()));
            Assert.False(string.IsNullOrEmpty(s.GetProperty("after").GetString()));
        }
        var md = (await store.ReadFileAsync(new ModelVersion("demo-e2e", 1), ReportFiles.InVersion(ReportFiles.MarkdownFile), CancellationToken.None))!.ToString();
        Assert.Contains("## Sample generations", md, StringComparison.Ordinal);

        // latest.json follows the gate: v0002 when it passed, else still v0001.
        Assert.Equal(v2.Gate.Passed ? "v0002" : "v0001", result.Latest?.Version);
        Assert.Contains(progress.Lines, l => l.StartsWith("== File 2 of 2", StringComparison.Ordinal));

        // Running it again (reusing the state) recognises both files and trains nothing new.
        var again = await new DemoRunner(options, new RecordingProgress()).RunAsync(reuse: true, CancellationToken.None);
        Assert.Equal(result.Datasets.Select(d => d.DatasetId), again.Datasets.Select(d => d.DatasetId));
        Assert.Equal(["v0001", "v0002"], again.Versions.Select(v => v.Version));
        Assert.Equal([1, 2], await store.ListNumbersAsync("demo-e2e", CancellationToken.None));
        Assert.Equal(result.Latest?.Version, again.Latest?.Version);
        Directory.Delete(state, recursive: true);
    }
}
