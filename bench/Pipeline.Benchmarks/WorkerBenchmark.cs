// `./run bench worker [--steps N] [--repeats N]`: the worker's own costs, on Azurite and the tiny GPT-2/ChatML model.
// 1. Request received -> training started with the base model already cached (from the manifests' timings).
// 2. Per-step overhead of status updates (logging every step) and checkpoint mirroring, against the bare loop:
//    OrpoTrainer alone vs the same job with RunProgress + RunStatusReporter + CheckpointUploader, interleaved.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Trainer.Cli;
using Pipeline.Trainer.Training;
using Pipeline.Trainer.Versions;
using Pipeline.Trainer.Worker;

namespace Pipeline.Benchmarks;

internal static class WorkerBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var steps = IntArg(args, "--steps", 40);
        var repeats = IntArg(args, "--repeats", 3);
        Console.WriteLine($"worker: load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (CPU shared with other work)");
        using var azurite = new AzuriteFixture();
        var root = Directory.CreateTempSubdirectory("worker-bench-").FullName;
        var model = Path.Combine(root, "base");
        InitModelCommand.Run(new InitModelOptions("tiny", model, 1));
        var data = Path.Combine(root, "pairs.jsonl");
        await File.WriteAllLinesAsync(data, Enumerable.Range(0, 64).Select(i => JsonSerializer.Serialize(new
        {
            prompt = $"Customer {i} asks: where is my parcel number {i * 7}?",
            chosen = $" It left the depot this morning, parcel {i * 7} arrives by Friday.",
            rejected = " Not my problem.",
        })));
        var orpo = new JsonObject
        {
            ["max_steps"] = steps, ["per_device_train_batch_size"] = 4, ["learning_rate"] = 1e-4, ["save_steps"] = Math.Max(1, steps / 4),
            ["logging_steps"] = 1, ["eval_steps"] = 0, ["max_length"] = 64, ["seed"] = 3,
        };

        if (!args.Contains("--skip-latency")) await StartupLatencyAsync(azurite, root, model, data, orpo);
        Console.WriteLine("status only (progress every step, no checkpoints), bare vs worker, alternating order:");
        await OverheadAsync(azurite, root, model, data, orpo.DeepClone().AsObject().Also(o => o["save_steps"] = 0), repeats, "status");
        Console.WriteLine($"status + checkpoint mirroring (a ~{CheckpointMiB(model)} MiB checkpoint every {Math.Max(1, steps / 2)} steps):");
        await OverheadAsync(azurite, root, model, data, orpo.DeepClone().AsObject().Also(o => o["save_steps"] = Math.Max(1, steps / 2)), repeats, "ckpt");
        return 0;
    }

    private static async Task StartupLatencyAsync(AzuriteFixture azurite, string root, string model, string data, JsonObject orpo)
    {
        var blobs = azurite.BlobService();
        foreach (var c in StorageLayout.Containers.Append(BaseModelCache.BaseModelsContainer)) await blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        foreach (var file in Directory.GetFiles(model))
            await blobs.GetBlobContainerClient(BaseModelCache.BaseModelsContainer).GetBlobClient("tiny/" + Path.GetFileName(file)).UploadAsync(file, overwrite: true);
        var profile = new JsonObject
        {
            ["training"] = new JsonObject
            {
                ["base_model"] = "base-models/tiny", ["orpo"] = orpo.DeepClone(), ["strategy"] = "from_base", ["sample_prompts"] = 1, ["sample_max_new_tokens"] = 4,
            },
        };
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob("bench")).UploadAsync(BinaryData.FromString(profile.ToJsonString()), overwrite: true);
        var requests = new List<TrainingRequest>();
        for (var i = 1; i <= 3; i++)
        {
            var id = $"ds-{i}";
            foreach (var split in new[] { StorageLayout.DatasetTrainBlob("bench", id), StorageLayout.DatasetEvalBlob("bench", id) })
                await blobs.GetBlobContainerClient(StorageLayout.Datasets).GetBlobClient(split).UploadAsync(data, overwrite: true);
            requests.Add(new TrainingRequest { RequestId = TrainingRequest.DeriveId("bench", [id], "bench"), Target = "bench", DatasetIds = [id] });
        }
        var queue = azurite.QueueService().GetQueueClient("bench-requests");
        await queue.CreateIfNotExistsAsync();
        var settings = new Dictionary<string, string?>
        {
            [WorkerServiceCollectionExtensions.StorageConnectionKey] = azurite.ConnectionString,
            ["Queue:ConnectionString"] = azurite.ConnectionString, ["Queue:QueueName"] = "bench-requests", ["Queue:PollInterval"] = "00:00:00.100",
            ["Worker:WorkDirectory"] = Path.Combine(root, "runs"), ["Worker:CacheDirectory"] = Path.Combine(root, "cache"),
            ["Worker:IdleStopAfter"] = "00:00:03", ["Worker:ReceiveWait"] = "00:00:01", ["Worker:Device"] = "cpu",
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole(o => o.SingleLine = true));
        builder.Services.AddTrainerWorker(builder.Configuration);
        using var host = builder.Build();
        var run = host.RunAsync();
        var versions = new ModelVersionStore(blobs.GetBlobContainerClient(StorageLayout.Models));
        Console.WriteLine("request -> training started (received_at to the engine call; base model cache cold for the first):");
        for (var i = 0; i < requests.Count; i++)
        {
            await new StorageQueuePublisher(queue, StorageRetry.Create()).PublishAsync(requests[i]);
            ModelManifest? manifest = null;
            var clock = Stopwatch.StartNew();
            while (manifest is null && clock.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(200);
                manifest = await versions.ReadManifestAsync(new ModelVersion("bench", i + 1), CancellationToken.None);
            }
            if (manifest is null) throw new TimeoutException($"request {i + 1} made no version in 5 minutes");
            var t = manifest.Timings;
            Console.WriteLine($"  request {i + 1} ({(i == 0 ? "cold cache" : "cached base model")}): {(t.TrainingStartedAt - t.ReceivedAt).TotalMilliseconds:F0} ms; " +
                              $"training {t.TrainingSeconds:F2} s, whole run {t.TotalSeconds:F2} s");
        }
        await run;
    }

    private static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }

    /// <summary>Weights plus AdamW's two moments, in MiB.</summary>
    private static long CheckpointMiB(string model) => new FileInfo(Path.Combine(model, "model.safetensors")).Length * 3 >> 20;

    private static async Task OverheadAsync(AzuriteFixture azurite, string root, string model, string data, JsonObject orpo, int repeats, string label)
    {
        var configPath = Path.Combine(root, $"orpo-{label}.json");
        await File.WriteAllTextAsync(configPath, orpo.ToJsonString());
        var config = OrpoConfig.Load(configPath);
        var engine = new OrpoRunEngine("cpu");
        var runs = azurite.BlobService().GetBlobContainerClient(StorageLayout.Runs);
        await runs.CreateIfNotExistsAsync();
        var retry = StorageRetry.Create();
        var bare = new List<double>();
        var worker = new List<double>();
        for (var r = 0; r < repeats; r++)
        {
            var job = new TrainJob(model, data, Path.Combine(root, $"bare-{label}-{r}"), config);
            // Alternate which goes first, so drift in the machine's load falls on both sides.
            if (r % 2 == 0) bare.Add((await engine.TrainAsync(job, new Progress<TrainProgress>(_ => { }), CancellationToken.None)).TrainRuntimeSeconds);

            {
                var runId = $"run-bench-{label}-{r}";
                var statusStore = new RunStatusStore(runs);
                var initial = new RunStatus
                {
                    State = RunState.Running, Target = "bench", RunId = runId, RequestId = "req-bench", DatasetIds = ["ds"],
                    CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                };
                await statusStore.TryCreateAsync(initial, CancellationToken.None);
                await using var lease = (await RunLease.TryAcquireAsync(statusStore.Blob("bench", runId), "bench", runId, TimeSpan.FromSeconds(15), NullLogger.Instance, CancellationToken.None))!;
                await using var status = new RunStatusReporter(statusStore, lease, initial, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), retry, NullLogger.Instance);
                var output = Path.Combine(root, $"worker-{label}-{r}");
                await using var uploader = new CheckpointUploader(new CheckpointStore(runs, "bench", runId, retry, NullLogger.Instance),
                    runs.GetBlobClient(RunBlobs.Metrics("bench", runId)), output, null, TimeSpan.FromSeconds(1), retry, NullLogger.Instance);
                worker.Add((await engine.TrainAsync(job with { OutputDir = output }, new RunProgress(status), CancellationToken.None)).TrainRuntimeSeconds);
            }
            if (r % 2 == 1) bare.Add((await engine.TrainAsync(job, new Progress<TrainProgress>(_ => { }), CancellationToken.None)).TrainRuntimeSeconds);
            Console.WriteLine($"  repeat {r + 1}: bare {bare[^1] / config.MaxSteps * 1000:F1} ms/step, worker {worker[^1] / config.MaxSteps * 1000:F1} ms/step");
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var (b, w) = (Median(bare) / config.MaxSteps, Median(worker) / config.MaxSteps);
        Console.WriteLine($"  per-step time, median of {repeats} ({config.MaxSteps} steps, status every step, checkpoint every {config.SaveSteps} (0: none)): " +
                          $"bare loop {b * 1000:F1} ms, with worker status + checkpoint mirroring {w * 1000:F1} ms, overhead {(w - b) / b * 100:+0.0;-0.0}%");
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
