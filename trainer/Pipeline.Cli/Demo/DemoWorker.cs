// The trainer worker hosted inside the demo process: the same AddTrainerWorker composition as `pipeline worker`, with
// its folders under .demo/work and the demo's policy rule. The demo follows it only through storage (status.json,
// manifests), like a user would.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Worker;

namespace Pipeline.Cli.Demo;

public sealed class DemoWorker : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly TrainerWorker _worker;
    private readonly RunStore _runs;
    private readonly ModelVersionStore _versions;
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
        _runs = new RunStore(blobs);
        _versions = new ModelVersionStore(blobs);
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
        // The demo knows what a good answer is (its data generator's rule): every report gets the on-policy rate.
        builder.Services.AddSingleton(SupportPolicy.Check(options.Size.PolicyPrompts, options.Size.SamplesPerPrompt));
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
        foreach (var number in await _versions.ListNumbersAsync(target, ct).ConfigureAwait(false))
        {
            var version = new ModelVersion(target, number);
            if (!_manifests.TryGetValue(version.Name, out var manifest))
            {
                // A version without a manifest is still being written: look again at the next poll.
                if (await _versions.ReadManifestAsync(version, ct).ConfigureAwait(false) is not { } written) continue;
                _manifests[version.Name] = manifest = written;
            }
            if (manifest.DatasetIds.Contains(datasetId)) return version;
        }
        return null;
    }

    // The status.json of every run of the target still queued or running: step / total, loss, ETA.
    private async Task ReportRunsAsync(string target, CancellationToken ct)
    {
        foreach (var s in await _runs.ListStatusesAsync(target, ct).ConfigureAwait(false))
        {
            if (s.IsFinished) continue;
            if (s.State == RunState.Failed) throw new InvalidOperationException($"run {s.RunId} failed: {s.Reason}");
            // A failed attempt is retried by the worker; say why once.
            if (s.Reason is { } reason && _reasonsSeen.Add(reason)) _progress.Note($"{s.RunId}: {reason}");
            _progress.Training(new DemoTrainingState(s.RunId, s.Stage ?? s.State.ToString().ToLowerInvariant(), s.Step ?? 0, s.TotalSteps ?? 0, s.Loss,
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
