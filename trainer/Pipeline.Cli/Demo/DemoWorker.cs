// The trainer worker hosted inside the demo process: the same AddTrainerWorker composition as `pipeline worker`, with
// its folders under .demo/work. The demo follows it only through storage (status.json, manifests), like a user would.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Azure.Storage.Queues;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Versions;
using Pipeline.Worker;

namespace Pipeline.Cli.Demo;

public sealed class DemoWorker : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly TrainerWorker _worker;
    private readonly BlobContainerClient _runs;
    private readonly BlobContainerClient _models;
    private readonly QueueClient _poison;
    private readonly IDemoProgress _progress;
    private readonly Dictionary<string, ModelManifest> _manifests = [];
    private readonly HashSet<string> _reasonsSeen = [];
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private bool _disposed;

    private DemoWorker(IHost host, BlobServiceClient blobs, QueueClient poison, IDemoProgress progress)
    {
        _poison = poison;
        _host = host;
        _worker = host.Services.GetRequiredService<TrainerWorker>();
        _runs = blobs.GetBlobContainerClient(StorageLayout.Runs);
        _models = blobs.GetBlobContainerClient(StorageLayout.Models);
        _progress = progress;
    }

    public static async Task<DemoWorker> StartAsync(StorageOptions storage, DemoOptions options, DemoState state, IDemoProgress progress, CancellationToken ct)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [WorkerServiceCollectionExtensions.StorageConnectionKey] = storage.ConnectionString,
            ["Queue:ConnectionString"] = storage.ConnectionString,
            ["Queue:PollInterval"] = "00:00:00.500",
            ["Worker:WorkerId"] = "demo-worker",
            ["Worker:WorkDirectory"] = Path.Combine(state.Work, "runs"),
            ["Worker:CacheDirectory"] = Path.Combine(state.Work, "cache"),
            ["Worker:ReceiveWait"] = "00:00:01",
            ["Worker:StatusInterval"] = "00:00:01",
            ["Worker:Device"] = options.Device,
        });
        // The demo draws its own screen: only the worker's warnings and errors reach the console.
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddTrainerWorker(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync(ct).ConfigureAwait(false);
        var poison = new QueueClient(storage.ConnectionString, StorageLayout.TrainingRequestsQueue + "-poison",
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None });
        return new DemoWorker(host, storage.BlobService(), poison, progress);
    }

    /// <summary>The finished version trained on <paramref name="datasetId"/>, or null while none is; reports the
    /// running run's progress on the way. A worker that stopped with an error, a failed run or a poisoned request
    /// ends the wait with its reason.</summary>
    public async Task<ModelVersion?> PollAsync(string target, string datasetId, CancellationToken ct)
    {
        if (_worker.ExecuteTask is { IsFaulted: true } failed) await failed.ConfigureAwait(false);
        await ReportRunsAsync(target, ct).ConfigureAwait(false);
        if (await _poison.ExistsAsync(ct).ConfigureAwait(false))
            foreach (var message in (await _poison.PeekMessagesAsync(32, ct).ConfigureAwait(false)).Value)
            {
                var poisoned = PoisonMessage.Parse(message.Body.ToString());
                if (poisoned.PoisonedAt < _startedAt || RequestBody.Decode(poisoned.Body).Request?.Target != target) continue;
                throw new InvalidOperationException($"a training request went to {_poison.Name}: {poisoned.Reason}: {poisoned.Description}");
            }
        await foreach (var item in _models.GetBlobsAsync(new GetBlobsOptions { Prefix = target + "/" }, ct).ConfigureAwait(false))
        {
            if (!item.Name.EndsWith("/" + ModelVersionStore.ManifestBlob, StringComparison.Ordinal)) continue;
            if (!_manifests.TryGetValue(item.Name, out var manifest))
            {
                var content = await _models.GetBlobClient(item.Name).DownloadContentAsync(ct).ConfigureAwait(false);
                _manifests[item.Name] = manifest = VersionJson.Deserialize<ModelManifest>(content.Value.Content, item.Name);
            }
            if (manifest.DatasetIds.Contains(datasetId) && ModelVersion.TryParseName(manifest.Version, out var n))
                return new ModelVersion(target, n);
        }
        return null;
    }

    // The status.json of every run of the target still queued or running: step / total, loss, ETA.
    private async Task ReportRunsAsync(string target, CancellationToken ct)
    {
        var store = new RunStatusStore(_runs);
        await foreach (var item in _runs.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", target + "/", ct).ConfigureAwait(false))
        {
            if (!item.IsPrefix) continue;
            var runId = item.Prefix[(target.Length + 1)..].TrimEnd('/');
            if (await store.ReadAsync(target, runId, ct).ConfigureAwait(false) is not { } s || s.IsFinished) continue;
            if (s.State == RunState.Failed) throw new InvalidOperationException($"run {runId} failed: {s.Reason}");
            // A failed attempt is retried by the worker; say why once.
            if (s.Reason is { } reason && _reasonsSeen.Add(reason)) _progress.Note($"{runId}: {reason}");
            _progress.Training(new DemoTrainingState(runId, s.Stage ?? s.State.ToString().ToLowerInvariant(), s.Step ?? 0, s.TotalSteps ?? 0, s.Loss,
                s.EtaSeconds is { } eta ? TimeSpan.FromSeconds(eta) : null));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(grace.Token).ConfigureAwait(false);
        _host.Dispose();
    }
}
