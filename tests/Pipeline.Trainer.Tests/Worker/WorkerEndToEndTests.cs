using System.Text.Json;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Trainer.Versions;
using Pipeline.Trainer.Worker;

namespace Pipeline.Trainer.Tests.Worker;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Trains_a_queued_request_into_v0001_with_manifest_report_checkpoints_and_latest()
    {
        var bed = new WorkerTestBed(azurite);
        var request = await bed.ArrangeAsync();
        await bed.PublishAsync(request);

        var handled = await bed.RunWorkerAsync(bed.Settings("worker-a"));

        Assert.Equal([RunSettlement.Complete], handled.Select(h => h.Settlement));
        var status = (await bed.StatusAsync(request))!;
        Assert.Equal(RunState.Succeeded, status.State);
        Assert.Equal("v0001", status.Version);
        Assert.Equal(6, status.Step);
        Assert.Equal([1], await bed.VersionsAsync());
        var prefix = StorageLayout.ModelVersionPrefix(bed.Target, 1);
        var manifest = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, prefix + "manifest.json")).RootElement;
        Assert.Equal(request.RequestId, manifest.GetProperty("request_id").GetString());
        Assert.Equal("base-models/tiny-llama", manifest.GetProperty("base_model").GetProperty("source").GetString());
        Assert.Equal(await FileHash.FolderSha256Async(Path.Combine(bed.Root, "cache", "base-models", Directory.GetDirectories(Path.Combine(bed.Root, "cache", "base-models"))[0], "model"), CancellationToken.None),
            manifest.GetProperty("base_model").GetProperty("sha256").GetString());
        Assert.Equal(0.001, manifest.GetProperty("hyper_parameters").GetProperty("learning_rate").GetDouble());
        Assert.True(manifest.GetProperty("metrics").TryGetProperty("eval_rewards/accuracies", out _));
        Assert.True(manifest.GetProperty("gate").GetProperty("passed").GetBoolean());
        var names = new List<string>();
        await foreach (var b in bed.Container(StorageLayout.Models).GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = prefix }))
            names.Add(b.Name[prefix.Length..]);
        Assert.Subset(names.ToHashSet(), new HashSet<string>
        {
            "config.json", "model.safetensors", "tokenizer.json", "eval/report.json", "eval/report.md", "eval/report.html",
            "training/metrics.jsonl", "manifest.json", "allocation.json",
        });
        var report = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, prefix + "eval/report.json")).RootElement;
        Assert.Equal(2, report.GetProperty("samples").GetArrayLength());
        Assert.Equal(6, report.GetProperty("history").GetArrayLength());
        var latest = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, StorageLayout.ModelLatestBlob(bed.Target))).RootElement;
        Assert.Equal("v0001", latest.GetProperty("version").GetString());
        var checkpoints = new CheckpointStore(bed.Container(StorageLayout.Runs), bed.Target, RunBlobs.RunId(request), StorageRetry.Create(), Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Assert.Contains(2, await checkpoints.CompleteStepsAsync(CancellationToken.None));
        Assert.Null((await bed.Queue.PeekMessageAsync()).Value);
    }
}
