// `./run bench worker [--steps N] [--repeats N]`: the worker's own costs, on Azurite and the tiny GPT-2/ChatML model.
// 1. Request received -> training started with the base model already cached (from the manifests' timings).
// 2. Per-step overhead of status updates (logging every step) and checkpoint mirroring, against the bare loop:
//    OrpoTrainer alone vs the same job with RunProgress + RunStatusReporter + CheckpointUploader, interleaved.
// Figures (2 cores shared with other engineers, load average 14-23, tiny preset, batch 4 x 64, 8 steps x 5 repeats):
//   request -> training started: 111 ms and 87 ms with the base model cached (579-1357 ms cold, download included).
//   progress report on the training thread: 0.23 us per call, against steps of 300-1400 ms.
//   status only: wall -18%, CPU -17% (noise: repeats of the same bare job varied 320-1440 ms/step).
//   37 MiB checkpoint mirrored every 4 steps: CPU +8.1% (~100 ms CPU per checkpoint: SHA-256 + upload), i.e. under
//   0.4% at save_steps >= 100. A 2% bound cannot be resolved end to end here; rerun on a quiet machine.
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Cli.Commands;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Pipeline.Worker;

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
        ModelInit.Write(new InitModelOptions("tiny", model, 1));
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
        await ReportCostAsync(azurite);
        Console.WriteLine("status only (progress every step, no checkpoints), bare vs worker, alternating order:");
        await OverheadAsync(azurite, root, model, data, orpo.DeepClone().AsObject().Also(o => o["save_steps"] = 0), repeats, "status");
        Console.WriteLine($"status + checkpoint mirroring (a ~{CheckpointMiB(model)} MiB checkpoint every {Math.Max(1, steps / 2)} steps):");
        await OverheadAsync(azurite, root, model, data, orpo.DeepClone().AsObject().Also(o => o["save_steps"] = Math.Max(1, steps / 2)), repeats, "ckpt");
        return 0;
    }

    private static async Task StartupLatencyAsync(AzuriteFixture azurite, string root, string model, string data, JsonObject orpo)
    {
        var blobs = azurite.BlobService();
        foreach (var c in StorageLayout.Containers.Append(StorageLayout.BaseModels)) await blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        foreach (var file in Directory.GetFiles(model))
            await blobs.GetBlobContainerClient(StorageLayout.BaseModels).GetBlobClient("tiny/" + Path.GetFileName(file)).UploadAsync(file, overwrite: true);
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
        var versions = new ModelVersionStore(blobs);
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

    /// <summary>What the training thread itself pays per progress report (the only worker code on the step path).</summary>
    private static async Task ReportCostAsync(AzuriteFixture azurite)
    {
        var runs = azurite.BlobService().GetBlobContainerClient(StorageLayout.Runs);
        await runs.CreateIfNotExistsAsync();
        var store = new RunStore(azurite.BlobService());
        var initial = new RunStatus
        {
            State = RunState.Running, Target = "bench", RunId = "run-report-cost", RequestId = "req-bench", DatasetIds = ["ds"],
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        await store.TryCreateStatusAsync(initial, CancellationToken.None);
        await using var lease = (await RunLease.TryAcquireAsync(store.StatusBlob("bench", "run-report-cost"), "bench", "run-report-cost", TimeSpan.FromSeconds(15), NullLogger.Instance, CancellationToken.None))!;
        await using var status = new RunStatusReporter(store, lease, initial, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), StorageRetry.Create(), NullLogger.Instance);
        var progress = new RunProgress(status);
        var metrics = new Dictionary<string, double> { ["loss"] = 1 };
        const int calls = 200_000;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
            progress.Report(new TrainProgress(i, calls, 0, 1.0 / (i + 1), 1e-4, 1, 1000, TimeSpan.FromSeconds(i), metrics));
        Console.WriteLine($"progress report on the training thread: {clock.Elapsed.TotalMilliseconds * 1e6 / calls / 1000:F2} µs per call " +
                          "(once per logging step; status.json is written by a background loop at most every Worker:StatusInterval)");
    }

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
        var (bareCpu, workerCpu) = (new List<double>(), new List<double>());
        // Process CPU seconds (all threads: training, status writer, uploader) are steadier than wall time on a shared machine.
        async Task<double> Timed(List<double> cpu, Func<Task<TrainResult>> train)
        {
            var before = Process.GetCurrentProcess().TotalProcessorTime;
            var result = await train();
            cpu.Add((Process.GetCurrentProcess().TotalProcessorTime - before).TotalSeconds);
            return result.TrainRuntimeSeconds;
        }
        for (var r = 0; r < repeats; r++)
        {
            var job = new TrainJob(model, data, Path.Combine(root, $"bare-{label}-{r}"), config);
            // Alternate which goes first, so drift in the machine's load falls on both sides.
            if (r % 2 == 0) bare.Add(await Timed(bareCpu, () => engine.TrainAsync(job, new Progress<TrainProgress>(_ => { }), CancellationToken.None)));

            {
                var runId = $"run-bench-{label}-{r}";
                var statusStore = new RunStore(azurite.BlobService());
                var initial = new RunStatus
                {
                    State = RunState.Running, Target = "bench", RunId = runId, RequestId = "req-bench", DatasetIds = ["ds"],
                    CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
                };
                await statusStore.TryCreateStatusAsync(initial, CancellationToken.None);
                await using var lease = (await RunLease.TryAcquireAsync(statusStore.StatusBlob("bench", runId), "bench", runId, TimeSpan.FromSeconds(15), NullLogger.Instance, CancellationToken.None))!;
                await using var status = new RunStatusReporter(statusStore, lease, initial, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(5), retry, NullLogger.Instance);
                var output = Path.Combine(root, $"worker-{label}-{r}");
                await using var uploader = new CheckpointUploader(new CheckpointStore(runs, "bench", runId, retry, NullLogger.Instance),
                    statusStore.MetricsBlob("bench", runId), output, null, TimeSpan.FromSeconds(1), retry, NullLogger.Instance);
                // The last checkpoint's upload is counted in this run's CPU too.
                worker.Add(await Timed(workerCpu, async () =>
                {
                    var trained = await engine.TrainAsync(job with { OutputDir = output }, new RunProgress(status), CancellationToken.None);
                    await uploader.UploadNewestAsync(CancellationToken.None);
                    return trained;
                }));
            }
            if (r % 2 == 1) bare.Add(await Timed(bareCpu, () => engine.TrainAsync(job, new Progress<TrainProgress>(_ => { }), CancellationToken.None)));
            Console.WriteLine($"  repeat {r + 1}: bare {bare[^1] / config.MaxSteps * 1000:F1} ms/step, worker {worker[^1] / config.MaxSteps * 1000:F1} ms/step");
        }
        double Median(List<double> xs) => xs.Order().ElementAt(xs.Count / 2);
        var (b, w) = (Median(bare) / config.MaxSteps, Median(worker) / config.MaxSteps);
        Console.WriteLine($"  per-step time, median of {repeats} ({config.MaxSteps} steps, status every step, checkpoint every {config.SaveSteps} (0: none)): " +
                          $"bare loop {b * 1000:F1} ms, with worker status + checkpoint mirroring {w * 1000:F1} ms, wall-time difference {(w - b) / b * 100:+0.0;-0.0}%");
        var (bc, wc) = (bareCpu.Sum() / config.MaxSteps / repeats, workerCpu.Sum() / config.MaxSteps / repeats);
        Console.WriteLine($"  process CPU per step, mean of {repeats}: bare {bc * 1000:F1} ms, worker {wc * 1000:F1} ms, overhead {(wc - bc) / bc * 100:+0.0;-0.0}%");
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1]) : fallback;
    }
}
