using System.Diagnostics;
using System.Text.Json;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Telemetry;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Trains_a_queued_request_into_v0001_with_manifest_report_and_latest_in_the_ingest_trace()
    {
        using var bed = new WorkerTestBed(azurite);
        var traceId = ActivityTraceId.CreateRandom();
        var request = (await bed.ArrangeAsync()) with { TraceParent = $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01" };
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
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
        Assert.Null((await bed.Queue.PeekMessageAsync()).Value);
        lock (spans)
            Assert.Contains(spans, a => a.OperationName == "trainer.run" && a.TraceId == traceId
                                        && (string?)a.GetTagItem(PipelineTelemetry.Tags.RequestId) == request.RequestId);
    }

    [Fact]
    public async Task From_latest_continues_training_from_v0001_and_reports_it_as_parent_and_current_latest()
    {
        using var bed = new WorkerTestBed(azurite, strategy: "from_latest");
        var first = await bed.ArrangeAsync("ds-one");
        var second = await bed.ArrangeAsync("ds-two");
        await bed.PublishAsync(first);

        await bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 2));
        await bed.PublishAsync(second);
        await bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 2));

        Assert.Equal([1, 2], await bed.VersionsAsync());
        var v2 = StorageLayout.ModelVersionPrefix(bed.Target, 2);
        var manifest = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, v2 + "manifest.json")).RootElement;
        // Lineage: the original base model (as v0001 names it, source and hash) and the parent version with its own hash.
        var v1 = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, StorageLayout.ModelVersionPrefix(bed.Target, 1) + "manifest.json")).RootElement;
        Assert.False(v1.TryGetProperty("parent", out _));
        var cache = Path.Combine(bed.Root, "cache");
        var baseSha = await FileHash.FolderSha256Async(Path.Combine(Directory.GetDirectories(Path.Combine(cache, "base-models")).Single(), "model"), CancellationToken.None);
        var v1Sha = await FileHash.FolderSha256Async(Path.Combine(Directory.GetDirectories(Path.Combine(cache, StorageLayout.Models)).Single(), "model"), CancellationToken.None);
        foreach (var m in new[] { v1, manifest })
        {
            Assert.Equal("base-models/tiny-llama", m.GetProperty("base_model").GetProperty("source").GetString());
            Assert.Equal(baseSha, m.GetProperty("base_model").GetProperty("sha256").GetString());
        }
        Assert.Equal("v0001", manifest.GetProperty("parent").GetProperty("version").GetString());
        Assert.Equal(v1Sha, manifest.GetProperty("parent").GetProperty("sha256").GetString());
        Assert.NotEqual(baseSha, v1Sha);
        var report = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, v2 + "eval/report.json")).RootElement;
        Assert.Equal("v0001", report.GetProperty("latest_version").GetString());
        // v0001 is both where v0002 started and the current latest: the same numbers on the same held-out split.
        Assert.Equal(report.GetProperty("metrics_before").GetProperty("eval_loss").GetDouble(),
            report.GetProperty("metrics_latest").GetProperty("eval_loss").GetDouble());
        Assert.Equal("v0001", report.GetProperty("gate").GetProperty("compared_with").GetString());
        var status = (await bed.StatusAsync(second))!;
        Assert.Equal(report.GetProperty("gate").GetProperty("passed").GetBoolean() ? RunState.Succeeded : RunState.Rejected, status.State);
    }

    [Fact]
    public async Task A_lora_run_writes_the_peft_adapter_and_the_merged_model_and_is_evaluated_on_the_merged_one()
    {
        using var bed = new WorkerTestBed(azurite);
        bed.Orpo["use_peft"] = true;
        bed.Orpo["lora_r"] = 4;
        var request = await bed.ArrangeAsync();
        await bed.PublishAsync(request);

        await bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 2));

        Assert.Equal(RunState.Succeeded, (await bed.StatusAsync(request))!.State);
        var prefix = StorageLayout.ModelVersionPrefix(bed.Target, 1);
        var manifest = JsonDocument.Parse(await bed.BlobBytesAsync(StorageLayout.Models, prefix + "manifest.json")).RootElement;
        Assert.Equal("lora", manifest.GetProperty("training_mode").GetString());
        var files = manifest.GetProperty("files").EnumerateArray().Select(f => f.GetProperty("path").GetString()).ToHashSet();
        Assert.Subset(files, new HashSet<string?> { "adapter_config.json", "adapter_model.safetensors", "merged/model.safetensors", "merged/config.json" });
        Assert.True(manifest.GetProperty("metrics").GetProperty("eval_loss").GetDouble() > 0);
    }
}
