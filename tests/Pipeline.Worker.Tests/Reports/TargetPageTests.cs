// The target page (models/{target}/index.json and index.html): rebuilt from storage, it lists every version with its
// parent, datasets, gate mark, metrics and on-policy rate, marks latest, links each report, and charts the versions.
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;
using Pipeline.Worker.Reports;

namespace Pipeline.Worker.Tests.Reports;

[Collection(AzuriteCollection.Name)]
public sealed class TargetPageTests(AzuriteFixture azurite)
{
    private static ModelManifest Manifest(string target, int n, string? parent, bool passed, double accuracy) => new()
    {
        Target = target, Version = new ModelVersion(target, n).Name, RunId = $"run-{n}", RequestId = $"req-{n}",
        BaseModel = new BaseModelLineage("base-models/tiny", "abc"), Parent = parent is null ? null : new ParentLineage(parent, "def"),
        DatasetIds = [$"ds-{n:D16}"], TrainingMode = "full", HyperParameters = new OrpoConfig(),
        Metrics = new Dictionary<string, double> { [GateDecision.AccuracyMetric] = accuracy, [GateDecision.LossMetric] = 1.0 / n, ["eval_nll_loss"] = 0.5 },
        Gate = new GateDecision { Passed = passed, Reason = passed ? "within tolerances" : "eval_rewards/accuracies dropped", Tolerances = GateTolerances.Default },
        CodeVersion = "test",
        Timings = new RunTimings
        {
            RequestCreatedAt = DateTimeOffset.UnixEpoch, ReceivedAt = DateTimeOffset.UnixEpoch, TrainingStartedAt = DateTimeOffset.UnixEpoch,
            TrainingFinishedAt = DateTimeOffset.UnixEpoch, FinishedAt = DateTimeOffset.UnixEpoch.AddMinutes(n),
        },
        Files = [],
    };

    private static async Task WriteVersionAsync(BlobServiceClient blobs, string target, int n, string? parent, bool passed, double accuracy)
    {
        var store = new ModelVersionStore(blobs);
        var version = await store.AllocateAsync(target, new VersionAllocation { RunId = $"run-{n}", RequestId = $"req-{n}", WorkerId = "w", AllocatedAt = DateTimeOffset.UnixEpoch }, CancellationToken.None);
        Assert.Equal(n, version.Number);
        var report = ReportFilesTests.Sample(passed) with { Target = target, Version = version.Name };
        await store.UploadBlobAsync(version, ReportFiles.InVersion(ReportFiles.JsonFile), ContractJson.Serialize(report), CancellationToken.None);
        await store.WriteManifestAsync(version, Manifest(target, n, parent, passed, accuracy), CancellationToken.None);
        if (passed)
            await new LatestPointerStore(blobs).PromoteAsync(version, $"run-{n}", new Dictionary<string, double>(), _ => report.Gate with { Passed = true }, CancellationToken.None);
    }

    [Fact]
    public async Task Lists_every_version_with_its_gate_mark_and_latest_and_is_rewritten_after_the_next_version()
    {
        const string target = "page-test";
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Models).CreateIfNotExistsAsync();
        await WriteVersionAsync(blobs, target, 1, null, passed: true, accuracy: 0.8);
        await WriteVersionAsync(blobs, target, 2, "v0001", passed: true, accuracy: 0.9);
        var writer = new TargetPageWriter(blobs);
        await writer.WriteAsync(target, CancellationToken.None);

        await WriteVersionAsync(blobs, target, 3, "v0002", passed: false, accuracy: 0.4);
        var index = await writer.WriteAsync(target, CancellationToken.None);

        var models = blobs.GetBlobContainerClient(StorageLayout.Models);
        var json = JsonNode.Parse((await models.GetBlobClient(StorageLayout.ModelIndexJsonBlob(target)).DownloadContentAsync()).Value.Content.ToString())!;
        Assert.Equal("v0002", json["latest"]!.GetValue<string>());
        var versions = json["versions"]!.AsArray();
        Assert.Equal(["v0001", "v0002", "v0003"], versions.Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal([true, true, false], versions.Select(v => v!["gate"]!["passed"]!.GetValue<bool>()));
        Assert.Equal([false, true, false], versions.Select(v => v!["is_latest"]!.GetValue<bool>()));
        Assert.Equal("v0002", versions[2]!["parent"]!.GetValue<string>());
        Assert.Equal("v0003/eval/report.html", versions[2]!["report"]!.GetValue<string>());
        Assert.Equal(11.0 / 12, versions[2]!["on_policy_after"]!.GetValue<double>(), 9);
        Assert.False(versions[2]!["metrics"]!.AsObject().ContainsKey("eval_nll_loss")); // key metrics only

        var html = (await models.GetBlobClient(StorageLayout.ModelIndexHtmlBlob(target)).DownloadContentAsync()).Value.Content.ToString();
        Assert.Equal(3, index.Versions.Count);
        Assert.Contains("latest: v0002", html);
        Assert.Equal(2, html.Split("✓ passed").Length - 1);
        Assert.Contains("✗ refused</span>: eval_rewards/accuracies dropped", html);
        Assert.Contains("<a href=\"v0001/eval/report.html\">report</a>", html);
        Assert.Equal(2, html.Split("<svg").Length - 1); // accuracy and on-policy rate by version; held-out loss by version
    }

    [Fact]
    public async Task A_version_still_being_written_is_listed_without_a_link()
    {
        const string target = "page-partial";
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Models).CreateIfNotExistsAsync();
        await new ModelVersionStore(blobs).AllocateAsync(target, new VersionAllocation { RunId = "run-1", RequestId = "req-1", WorkerId = "w", AllocatedAt = DateTimeOffset.UnixEpoch }, CancellationToken.None);

        var index = await new TargetPageWriter(blobs).WriteAsync(target, CancellationToken.None);

        Assert.False(Assert.Single(index.Versions).Complete);
        Assert.Null(index.Latest);
        var html = TargetPage.Html(index);
        Assert.Contains("being written", html);
        Assert.DoesNotContain("<a href", html);
    }
}
