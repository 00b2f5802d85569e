// Arranges what a worker needs on Azurite for one test: a target with its profile, a dataset, the tiny base model in
// base-models/, a queue of its own, and the worker host itself (in-process or as the `pipeline` executable).
using System.Diagnostics;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

public sealed class WorkerTestBed : IDisposable
{
    public const string BaseModelFolder = "tiny-llama";
    private readonly AzuriteFixture _azurite;
    private readonly TempDir _root = new("worker-test-");

    public WorkerTestBed(AzuriteFixture azurite, int maxSteps = 6, int saveSteps = 2, string strategy = "from_base")
    {
        _azurite = azurite;
        Strategy = strategy;
        var id = Guid.NewGuid().ToString("N")[..8];
        Target = "agent-" + id;
        QueueName = "requests-" + id;
        Orpo = new JsonObject
        {
            ["max_steps"] = maxSteps, ["per_device_train_batch_size"] = 2, ["learning_rate"] = 1e-3, ["save_steps"] = saveSteps,
            ["logging_steps"] = 1, ["eval_steps"] = 0, ["max_length"] = 64, ["seed"] = 7, ["lr_scheduler_type"] = "constant",
        };
    }

    public string Target { get; }
    public string Strategy { get; }
    public string QueueName { get; }
    public string Root => _root.Path;
    public JsonObject Orpo { get; }

    /// <summary>More keys of the profile's "training" section (debounce_seconds, ...), written by ArrangeAsync.</summary>
    public JsonObject Training { get; } = new();
    public BlobServiceClient Blobs => _azurite.BlobService();
    public QueueClient Queue => _azurite.QueueService().GetQueueClient(QueueName);
    public QueueClient PoisonQueue => _azurite.QueueService().GetQueueClient(QueueName + "-poison");
    public BlobContainerClient Container(string name) => Blobs.GetBlobContainerClient(name);

    /// <summary>Profile, base model and one dataset (the tiny-llama pairs, also as the held-out split).</summary>
    public async Task<TrainingRequest> ArrangeAsync(string datasetId = "ds-one")
    {
        foreach (var c in StorageLayout.Containers.Append(StorageLayout.BaseModels))
            await Container(c).CreateIfNotExistsAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.TinyLlama).Where(f => !f.EndsWith(".jsonl", StringComparison.Ordinal)))
            await Container(StorageLayout.BaseModels).GetBlobClient($"{BaseModelFolder}/{Path.GetFileName(file)}")
                .UploadAsync(file, overwrite: true);
        var profile = new JsonObject
        {
            ["training"] = new JsonObject
            {
                ["base_model"] = $"{StorageLayout.BaseModels}/{BaseModelFolder}",
                ["orpo"] = Orpo.DeepClone(),
                ["sample_prompts"] = 2,
                ["sample_max_new_tokens"] = 6,
                ["strategy"] = Strategy,
            },
        };
        foreach (var (key, value) in Training) profile["training"]![key] = value?.DeepClone();
        await Container(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(Target))
            .UploadAsync(BinaryData.FromString(profile.ToJsonString()), overwrite: true);
        var pairs = await File.ReadAllBytesAsync(Path.Combine(RepoPaths.TinyLlama, "data.jsonl"));
        await Container(StorageLayout.Datasets).GetBlobClient(StorageLayout.DatasetTrainBlob(Target, datasetId)).UploadAsync(BinaryData.FromBytes(pairs), overwrite: true);
        await Container(StorageLayout.Datasets).GetBlobClient(StorageLayout.DatasetEvalBlob(Target, datasetId)).UploadAsync(BinaryData.FromBytes(pairs), overwrite: true);
        await Queue.CreateIfNotExistsAsync();
        return Request(datasetId);
    }

    public TrainingRequest Request(params string[] datasetIds) => new()
    {
        RequestId = TrainingRequest.DeriveId(Target, datasetIds, "test"), Target = Target, DatasetIds = datasetIds,
    };

    public async Task PublishAsync(TrainingRequest request) =>
        await new StorageQueuePublisher(_azurite.QueueService().GetQueueClient(QueueName), StorageRetry.Create()).PublishAsync(request);

    /// <summary>What ingestion leaves for an accepted dataset: both splits (the tiny-llama pairs), then the request marker
    /// that makes it one of the target's accepted datasets. Returns the request ingestion would publish.</summary>
    public async Task<TrainingRequest> AcceptDatasetAsync(string datasetId)
    {
        var pairs = BinaryData.FromBytes(await File.ReadAllBytesAsync(Path.Combine(RepoPaths.TinyLlama, "data.jsonl")));
        var datasets = Container(StorageLayout.Datasets);
        await datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(Target, datasetId)).UploadAsync(pairs, overwrite: true);
        await datasets.GetBlobClient(StorageLayout.DatasetEvalBlob(Target, datasetId)).UploadAsync(pairs, overwrite: true);
        var request = Request(datasetId);
        await datasets.GetBlobClient(StorageLayout.DatasetRequestMarkerBlob(Target, datasetId)).UploadAsync(BinaryData.FromString(request.ToJson()), overwrite: true);
        return request;
    }

    /// <summary>Settings a worker of this bed runs with; <paramref name="extra"/> overrides.</summary>
    public Dictionary<string, string?> Settings(string workerId, double idleStopSeconds = 3, Dictionary<string, string?>? extra = null)
    {
        var s = new Dictionary<string, string?>
        {
            [WorkerServiceCollectionExtensions.StorageConnectionKey] = _azurite.ConnectionString,
            ["Queue:ConnectionString"] = _azurite.ConnectionString,
            ["Queue:QueueName"] = QueueName,
            // The shortest the options allow: visibility must outlast lease + renewal interval (15 s + 1 s).
            ["Queue:VisibilityTimeout"] = "00:00:17",
            ["Queue:RenewalInterval"] = "00:00:01",
            ["Queue:PollInterval"] = "00:00:00.200",
            ["Worker:WorkerId"] = workerId,
            ["Worker:WorkDirectory"] = Path.Combine(Root, workerId, "runs"),
            ["Worker:CacheDirectory"] = Path.Combine(Root, "cache"),
            ["Worker:LeaseDuration"] = "00:00:15",
            ["Worker:StatusInterval"] = "00:00:00.250",
            ["Worker:CheckpointPollInterval"] = "00:00:00.100",
            ["Worker:ReceiveWait"] = "00:00:01",
            ["Worker:IdleStopAfter"] = TimeSpan.FromSeconds(idleStopSeconds).ToString(),
            ["Worker:Device"] = "cpu",
        };
        foreach (var (k, v) in extra ?? []) s[k] = v;
        return s;
    }

    /// <summary>Runs an in-process worker host until it stops by itself (idle) or <paramref name="timeout"/> passes.</summary>
    /// <param name="onStep">Sees each training progress report on the training thread, before the next step starts.</param>
    public async Task<IReadOnlyList<RunDisposition>> RunWorkerAsync(Dictionary<string, string?> settings, TimeSpan? timeout = null,
        Func<Task>? whileRunning = null, Action<TrainProgress>? onStep = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging(l => l.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }).SetMinimumLevel(LogLevel.Information));
        builder.Services.AddTrainerWorker(builder.Configuration);
        if (onStep is not null) builder.Services.AddSingleton(new OrpoRunEngine(settings["Worker:Device"]!, onStep));
        using var host = builder.Build();
        var worker = host.Services.GetRequiredService<TrainerWorker>();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        var run = host.RunAsync(cts.Token);
        if (whileRunning is not null) await whileRunning();
        await run;
        Assert.False(cts.IsCancellationRequested, "the worker did not stop by itself (idle) in time");
        lock (worker.Handled) return [.. worker.Handled];
    }

    public async Task<RunStatus?> StatusAsync(TrainingRequest request) =>
        await new RunStore(Blobs).ReadStatusAsync(Target, request.RunId, CancellationToken.None);

    public async Task<IReadOnlyList<int>> VersionsAsync() =>
        await new ModelVersionStore(Blobs).ListNumbersAsync(Target, CancellationToken.None);

    public async Task<byte[]> BlobBytesAsync(string container, string name) =>
        (await Container(container).GetBlobClient(name).DownloadContentAsync()).Value.Content.ToArray();

    /// <summary>Starts the built `pipeline-worker` executable (the container's entry point) with these settings as environment.</summary>
    public Process StartWorkerProcess(Dictionary<string, string?> settings, string logFile)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "pipeline-worker");
        var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in settings)
            psi.Environment[key.Replace(":", "__")] = value;
        var process = Process.Start(psi)!;
        var log = new StreamWriter(logFile) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public void Dispose()
    {
        // A worker process killed by a test may still be letting go of its files; a leftover folder fails no test.
        try { _root.Dispose(); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
