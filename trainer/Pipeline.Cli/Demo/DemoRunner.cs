// The demo, top to bottom: storage, base model, target profile, data; file 1 lands -> watcher ingests -> worker trains
// v0001; file 2 -> v0002 through the gate; file 3 (labels mostly swapped) -> v0003, which the gate refuses; then the
// target page and a summary. Every step is the production code path, in-process.
using System.Diagnostics;
using Azure.Storage.Blobs;
using Pipeline.Cli.Local;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Worker.Reports;

namespace Pipeline.Cli.Demo;

public sealed class DemoRunner(DemoOptions options, IDemoProgress progress)
{
    private readonly DemoOptions _options = options.Validated();

    public async Task<DemoResult> RunAsync(bool reuse, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        var state = new DemoState(_options.StateDir);
        var target = _options.Target;

        progress.Stage("Local state");
        var stateNote = state.Prepare(reuse);
        progress.Note(stateNote);

        progress.Stage("Storage");
        using var storage = await DemoStorage.OpenAsync(_options.ConnectionString, _options.RepoRoot, state.Azurite, ct).ConfigureAwait(false);
        progress.Note(storage.Description);
        var blobs = storage.Options.BlobService();
        foreach (var name in StorageLayout.Containers.Append(StorageLayout.BaseModels))
            await blobs.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await storage.Options.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        progress.Note($"containers {string.Join(", ", StorageLayout.Containers)}, {StorageLayout.BaseModels} and queue {StorageLayout.TrainingRequestsQueue} ready");

        progress.Stage("Base model and target profile");
        var setup = new DemoSetup(_options, state, blobs);
        progress.Note(await setup.EnsureBaseModelAsync(ct).ConfigureAwait(false));
        progress.Note(await setup.WriteProfileAsync(ct).ConfigureAwait(false));

        progress.Stage("Data");
        var files = setup.WriteDataFiles();
        foreach (var file in files)
            progress.Note($"{file.Name}: {file.Pairs} pairs (seed {SupportAgentData.DefaultSeed})" +
                          (file.Swapped > 0 ? $", {file.Swapped} of them with chosen and rejected swapped" : "") + $", in {Shown(file.LocalPath)}");

        var ingested = new IngestionLog();
        // The demo's worker takes its requests from the storage queue, whatever transport the environment names.
        await using var local = LocalIngestion.Create(storage.Options, settings: new Dictionary<string, string?> { ["Queue:Transport"] = nameof(QueueTransport.StorageQueue) });
        var ingestion = local.Service;
        var watcher = new IncomingWatcher(blobs, ingestion, new WatcherOptions { Target = target, PollInterval = TimeSpan.FromMilliseconds(500) });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var watching = Task.Run(() => watcher.RunAsync(ingested.Add, stop.Token), stop.Token);
        await using var worker = await DemoWorker.StartAsync(storage.Options, _options, state, progress, stop.Token).ConfigureAwait(false);
        progress.Note("watcher (incoming/ -> ingestion) and worker (queue -> training) running in this process");

        var datasets = new List<DemoDataset>();
        var versions = new List<DemoVersion>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i];
            progress.Stage($"File {i + 1} of {files.Count}: {file.Name}");
            if (file.Swapped > 0)
                progress.Note($"a bad batch: {file.Swapped} of its {file.Pairs} pairs hold the bad answer as chosen, as a labelling mistake " +
                              "would leave them; it is valid data and trains, and the gate should keep it from becoming latest");
            await using (var content = File.OpenRead(file.LocalPath))
            {
                var upload = await ingestion.UploadAsync(target, file.Name, content, ct).ConfigureAwait(false);
                progress.Note($"dropped into incoming/: {upload.Message}");
            }
            var result = await WaitAsync(() => ingested.Find(target, file.Name), watching, $"ingestion of incoming/{target}/{file.Name}", ct).ConfigureAwait(false);
            if (result.Outcome is not (IngestOutcome.Accepted or IngestOutcome.AlreadyIngested))
                throw new InvalidOperationException($"incoming/{target}/{file.Name} was {result.Outcome}: {result.Message}");
            // The stored report is the dataset's own; a repeat's pass reports every row as a duplicate of it.
            var report = await ingestion.GetReportAsync(target, result.DatasetId!, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"dataset {result.DatasetId} of {target} has no report.json");
            var dataset = new DemoDataset(file.Name, result.DatasetId!, result.RequestId!, report.RowsAccepted, report.RowsRejected, report.TrainRows, report.EvalRows,
                $"{StorageLayout.Datasets}/{StorageLayout.DatasetReportBlob(target, result.DatasetId!)}");
            datasets.Add(dataset);
            progress.Note($"ingested ({result.Outcome}): dataset {dataset.DatasetId}, {dataset.TrainRows} train / {dataset.EvalRows} eval rows, " +
                          $"{dataset.RowsRejected} rejected; request {result.RequestId} {(result.PublishedNow ? "queued" : "was queued before")}");

            var version = await WaitAsync(() => worker.PollAsync(target, dataset.DatasetId, ct), watching, $"a model version trained on {dataset.DatasetId}", ct).ConfigureAwait(false);
            versions.Add(await DescribeAsync(blobs, version, state, ct).ConfigureAwait(false));
            var v = versions[^1];
            progress.Note($"{v.Version} from {v.ParentVersion ?? "the base model"}, on {v.EvalPairs} held-out pairs: " +
                          $"reward accuracy {Fmt(v.Before(GateDecision.AccuracyMetric))} -> {Fmt(v.After(GateDecision.AccuracyMetric))}, " +
                          $"eval_loss {Fmt(v.Before(GateDecision.LossMetric))} -> {Fmt(v.After(GateDecision.LossMetric))}" +
                          (v.PolicyBefore is { } pb && v.PolicyAfter is { } pa ? $", on-policy answers {pb.Rate:0%} -> {pa.Rate:0%}" : ""));
            progress.Note($"gate {(v.Gate.Passed ? "passed" : "refused")}: {v.Gate.Reason}" +
                          (v.Gate.Passed ? $"; latest is now {v.Version}" : $"; latest stays {v.Gate.ComparedWith}"));
        }

        progress.Stage("Target page");
        // The worker rewrites the page after each version's manifest: wait for the one that lists every version.
        var page = await WaitAsync(async () => await ReadPageAsync(blobs, target, ct).ConfigureAwait(false) is { } stored
                && versions.All(v => stored.Versions.Any(e => e.Version == v.Version && e.Complete)) ? stored : null,
            watching, $"{StorageLayout.Models}/{StorageLayout.ModelIndexJsonBlob(target)} to list every version", ct).ConfigureAwait(false);
        var pageCopy = Path.Combine(state.Reports, target, StorageLayout.IndexHtmlFile);
        await blobs.GetBlobContainerClient(StorageLayout.Models).GetBlobClient(StorageLayout.ModelIndexHtmlBlob(target))
            .DownloadToAsync(pageCopy, ct).ConfigureAwait(false);
        progress.Note($"{StorageLayout.Models}/{StorageLayout.ModelIndexHtmlBlob(target)}: {page.Versions.Count} versions, latest {page.Latest ?? "none"}; " +
                      $"copied beside the reports to {Shown(pageCopy)}");

        progress.Stage("Stopping");
        var latest = (await new LatestPointerStore(blobs).ReadAsync(target, ct).ConfigureAwait(false)).Pointer;
        await stop.CancelAsync().ConfigureAwait(false);
        await watching.ConfigureAwait(false);
        await worker.DisposeAsync().ConfigureAwait(false);
        progress.Note(storage.StartedHere
            ? $"worker and watcher stopped; Azurite stops as the demo exits (its data stays in {state.Azurite} for --reuse)"
            : "worker and watcher stopped");
        return new DemoResult(target, storage.Description, stateNote, datasets, versions, latest, page,
            $"{StorageLayout.Models}/{StorageLayout.ModelIndexHtmlBlob(target)}", pageCopy, clock.Elapsed);
    }

    // Polls until found; a watcher that died (storage fault) or a timeout ends the wait with its reason.
    private async Task<T> WaitAsync<T>(Func<Task<T?>> poll, Task watching, string what, CancellationToken ct) where T : class
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (watching.IsFaulted) await watching.ConfigureAwait(false);
            if (await poll().ConfigureAwait(false) is { } found) return found;
            if (deadline.Elapsed > _options.StageTimeout)
                throw new TimeoutException($"waited {_options.StageTimeout.TotalMinutes:0.#} min for {what}");
            await Task.Delay(250, ct).ConfigureAwait(false);
        }
    }

    private Task<T> WaitAsync<T>(Func<T?> poll, Task watching, string what, CancellationToken ct) where T : class =>
        WaitAsync(() => Task.FromResult(poll()), watching, what, ct);

    private static async Task<TargetIndex?> ReadPageAsync(BlobServiceClient blobs, string target, CancellationToken ct)
    {
        var name = StorageLayout.ModelIndexJsonBlob(target);
        return await blobs.GetBlobContainerClient(StorageLayout.Models).GetBlobClient(name).TryDownloadAsync(ct).ConfigureAwait(false) is { } data
            ? ContractJson.Deserialize<TargetIndex>(data, $"{StorageLayout.Models}/{name}")
            : null;
    }

    private static async Task<DemoVersion> DescribeAsync(BlobServiceClient blobs, ModelVersion version, DemoState state, CancellationToken ct)
    {
        var store = new ModelVersionStore(blobs);
        var manifest = await store.ReadManifestAsync(version, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{StorageLayout.Models}/{StorageLayout.ModelVersionManifestBlob(version)} vanished");
        var reportName = ReportFiles.InVersion(ReportFiles.JsonFile);
        var report = ContractJson.Deserialize<EvaluationReport>(
            await store.ReadFileAsync(version, reportName, ct).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"{version} has no {reportName}"),
            $"{StorageLayout.Models}/{StorageLayout.ModelVersionFileBlob(version, reportName)}");
        var html = ReportFiles.InVersion(ReportFiles.HtmlFile);
        // Copies mirror the models container, so the target page's links ("v0001/eval/report.html") work locally too.
        var local = Path.Combine(state.Reports, version.Target, StorageLayout.VersionReportFromIndex(version));
        Directory.CreateDirectory(Path.GetDirectoryName(local)!);
        await store.DownloadFileAsync(version, html, local, ct).ConfigureAwait(false);
        return new DemoVersion(version.Name, manifest.ParentVersion, manifest.DatasetIds, report.EvalPairs, report.MetricsBefore, report.MetricsAfter,
            report.Policy?.Before, report.Policy?.After, manifest.Gate, $"{StorageLayout.Models}/{StorageLayout.ModelVersionFileBlob(version, html)}", local);
    }

    private static string Fmt(double? value) => value is { } v ? v.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture) : "n/a";

    /// <summary>A path as the user can type it: relative to the working folder when inside it.</summary>
    public static string Shown(string path)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, path);
        return relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative) ? path : relative;
    }

    // Results of the watcher thread, read by the demo's thread.
    private sealed class IngestionLog
    {
        private readonly List<IngestionResult> _results = [];

        public void Add(IngestionResult result) { lock (_results) _results.Add(result); }

        public IngestionResult? Find(string target, string file)
        {
            lock (_results) return _results.LastOrDefault(r => r.Target == target && r.FileName == file);
        }
    }
}
