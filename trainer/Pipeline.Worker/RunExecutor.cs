// One run, top to bottom: profile and data, the starting model, training with checkpoints mirrored to storage,
// evaluation before / after / latest, samples, then the version (files, report, manifest last) and the gate.
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Generation;
using Pipeline.Training.Trainer;
using Pipeline.Worker.Reports;
using Polly;

namespace Pipeline.Worker;

/// <summary>The version a run wrote and whether the gate made it latest.</summary>
public sealed record RunResult(ModelVersion Version, GateDecision Gate, bool Promoted, double TrainTokensPerSecond);

public sealed class RunExecutor(
    BlobServiceClient blobs, OrpoRunEngine engine, BaseModelCache cache, WorkerOptions options, ResiliencePipeline retry,
    ILogger<RunExecutor> log, PolicyCheck? policy = null)
{
    private readonly PolicyCheck? _policy = policy?.Validated();
    private readonly RunStore _runs = new(blobs);
    private readonly ModelVersionStore _versions = new(blobs);
    private BlobContainerClient Models => blobs.GetBlobContainerClient(StorageLayout.Models);

    public static string CodeVersion { get; } =
        typeof(RunExecutor).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>Measured from the request's arrival to the engine call (the "request to training" latency).</summary>
    public TimeSpan? LastStartupLatency { get; private set; }

    public async Task<RunResult> ExecuteAsync(
        TrainingRequest request, string runId, DateTimeOffset receivedAt, RunStatusReporter status, CancellationToken ct,
        CancellationToken shutdown = default)
    {
        var target = request.Target;
        var profile = await LoadProfileAsync(target, ct);
        var runDir = Path.Combine(options.WorkDirectory, target, runId);
        var (dataDir, outputDir) = (Path.Combine(runDir, "data"), Path.Combine(runDir, "output"));
        Directory.CreateDirectory(dataDir);
        // LoRA runs also write the merged model: it is what evaluation, samples and from_latest continue from.
        var config = profile.Training.Orpo ?? new OrpoConfig();
        if (config.UsePeft) config = config with { MergeAdapter = true };

        status.Report(s => s with { Stage = "downloading data" });
        // The held-out pairs of the data behind the current latest join this run's: a candidate and latest are compared on
        // what latest was accepted on too, so a bad batch cannot pass the gate on its own (equally bad) held-out split.
        var lineage = await LatestLineageAsync(target, request.DatasetIds, ct);
        var (trainFile, evalFile, sources) = await DownloadDatasetsAsync(target, request.DatasetIds, lineage, dataDir, ct);

        status.Report(s => s with { Stage = "resolving starting model" });
        var (start, model) = await ResolveStartAsync(target, runId, profile.Training, ct);

        status.Report(s => s with { Stage = "training" });
        var checkpoints = new CheckpointStore(_runs.Container, target, runId, retry, log);
        int? restored = null;
        if (Checkpoint.List(outputDir).Count == 0)
        {
            restored = (await checkpoints.RestoreNewestAsync(Checkpoint.Folder(outputDir), CheckpointUploader.LocalName, ct))?.Step;
            if (restored is not null)
                await retry.ExecuteAsync(async t =>
                    await _runs.MetricsBlob(target, runId).DownloadToAsync(Path.Combine(outputDir, TrainOutput.MetricsFile), t), ct);
        }
        var resume = Checkpoint.List(outputDir).Count > 0;
        var resumedFrom = resume ? CheckpointUploader.StepOf(Checkpoint.List(outputDir)[^1]) : (int?)null;
        status.Report(s => s with { ResumedFromStep = resumedFrom });

        var job = new TrainJob(model.LocalPath, trainFile, outputDir, config, resume, evalFile);
        var trainingStartedAt = DateTimeOffset.UtcNow;
        LastStartupLatency = trainingStartedAt - receivedAt;
        log.LogInformation("Training {RunId} from {Source}, {StartupMs} ms after the request arrived, resuming from step {ResumedFrom}",
            runId, start.Source, LastStartupLatency.Value.TotalMilliseconds, resumedFrom);
        TrainResult trained;
        await using (var uploader = new CheckpointUploader(checkpoints, _runs.MetricsBlob(target, runId), outputDir,
                         restored ?? resumedFrom, options.CheckpointPollInterval, retry, log))
        {
            try
            {
                // On shutdown the engine checkpoints where it is; on a lost lease or message it just stops.
                trained = await engine.TrainAsync(job, new RunProgress(status), ct, checkpointAndStop: shutdown);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                // SIGTERM: put the checkpoint saved where training stopped in storage before the message goes back.
                // (A run that lost its lease writes nothing more: another worker owns it now.)
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(60));
                await uploader.UploadNewestAsync(grace.Token);
                throw;
            }
        }
        var trainingFinishedAt = DateTimeOffset.UtcNow;

        status.Report(s => s with { Stage = "evaluating" });
        var trainedModel = config.UsePeft ? Path.Combine(outputDir, TrainOutput.MergedFolder) : outputDir;
        var after = await engine.EvaluateAsync(trainedModel, evalFile, config, ct);
        var before = await engine.EvaluateAsync(model.LocalPath, evalFile, config, ct);
        var latestStore = new LatestPointerStore(blobs);
        var latest = (await retry.ExecuteAsync(async t => await latestStore.ReadAsync(target, t), ct)).Pointer;
        IReadOnlyDictionary<string, double>? latestMetrics = null;
        if (latest is not null)
        {
            latestMetrics = latest.Version == start.ParentVersion
                ? before.Metrics
                : (await engine.EvaluateAsync((await VersionModelAsync(target, latest.Version, ct)).LocalPath, evalFile, config, ct)).Metrics;
        }
        var prompts = OrpoRunEngine.SamplePrompts(model.LocalPath, evalFile, config, profile.Training.SamplePrompts);
        var samplesBefore = await engine.CompleteAsync(model.LocalPath, prompts, profile.Training.SampleMaxNewTokens, ct);
        var samplesAfter = await engine.CompleteAsync(trainedModel, prompts, profile.Training.SampleMaxNewTokens, ct);
        var policyReport = _policy is null ? null : await SamplePolicyAsync(_policy, model.LocalPath, trainedModel, evalFile, config, ct);

        status.Report(s => s with { Stage = "writing version" });
        var store = _versions;
        var version = await retry.ExecuteAsync(async t => await store.AllocateAsync(target, new VersionAllocation
        {
            RunId = runId, RequestId = request.RequestId, WorkerId = options.WorkerId, AllocatedAt = DateTimeOffset.UtcNow,
        }, t), ct);
        var tolerances = profile.Training.Gate;
        // Compare on this run's held-out split when the latest version is the one evaluated here.
        GateDecision Decide(LatestPointer? current) => GateDecision.Evaluate(after.Metrics,
            current is not null && current.Version == latest?.Version ? current with { Metrics = latestMetrics! } : current, tolerances);
        var decision = Decide(latest);

        var report = new EvaluationReport
        {
            Target = target, Version = version.Name, RunId = runId, RequestId = request.RequestId, DatasetIds = request.DatasetIds,
            BaseModel = start.BaseModel, ParentVersion = start.ParentVersion, EvalPairs = after.Pairs, HeldOutSources = sources,
            MetricsBefore = before.Metrics, MetricsAfter = after.Metrics,
            LatestVersion = latest?.Version, MetricsLatest = latestMetrics, Gate = decision,
            History = ReadHistory(Path.Combine(outputDir, TrainOutput.MetricsFile)),
            HeldOut = HeldOutPairs.Build(evalFile, sources, before.PerPair, after.PerPair),
            Samples = [.. prompts.Select((p, i) => new SampleGeneration(p.Text, samplesBefore[i], samplesAfter[i],
                _policy?.Judge(samplesBefore[i]), _policy?.Judge(samplesAfter[i])))],
            Policy = policyReport,
            CreatedAt = DateTimeOffset.UtcNow,
        };
        var files = await retry.ExecuteAsync(async t => await store.UploadFilesAsync(version, VersionFiles(outputDir), t), ct);
        var timings = new RunTimings
        {
            RequestCreatedAt = request.CreatedAt, ReceivedAt = receivedAt, TrainingStartedAt = trainingStartedAt,
            TrainingFinishedAt = trainingFinishedAt, FinishedAt = DateTimeOffset.UtcNow,
        };
        ModelManifest Manifest(GateDecision gate, IReadOnlyList<ManifestFile> reportFiles) => new()
        {
            Target = target, Version = version.Name, RunId = runId, RequestId = request.RequestId,
            BaseModel = new BaseModelLineage(start.BaseModel, start.BaseModelSha256!),
            Parent = start.ParentVersion is { } parent ? new ParentLineage(parent, start.Sha256) : null,
            DatasetIds = request.DatasetIds, TrainingMode = config.UsePeft ? "lora" : "full",
            HyperParameters = config, Metrics = after.Metrics, Gate = gate,
            CodeVersion = CodeVersion, Timings = timings, Files = [.. files, .. reportFiles],
        };
        var reportFiles = await WriteReportAsync(store, version, report, Path.Combine(runDir, "report"), ct);
        await retry.ExecuteAsync(async t => await store.WriteManifestAsync(version, Manifest(decision, reportFiles), t), ct);

        var promotion = await retry.ExecuteAsync(async t =>
            await latestStore.PromoteAsync(version, runId, after.Metrics, Decide, t), ct);
        if (promotion.Moved != decision.Passed || promotion.Decision.ComparedWith != decision.ComparedWith)
        {
            // latest moved while this run was deciding: the report and manifest say what was decided in the end.
            report = report with { Gate = promotion.Decision };
            reportFiles = await WriteReportAsync(store, version, report, Path.Combine(runDir, "report"), ct);
            await retry.ExecuteAsync(async t => await store.WriteManifestAsync(version, Manifest(promotion.Decision, reportFiles), t), ct);
        }
        log.LogInformation("Run {RunId} wrote {Version}: gate {Passed} ({Reason}); latest moved: {Moved}",
            runId, version, promotion.Decision.Passed, promotion.Decision.Reason, promotion.Moved);
        // The target's page (every version, its gate and metrics) is rebuilt from storage, now that this version is complete.
        await retry.ExecuteAsync(async t => await new TargetPageWriter(blobs).WriteAsync(target, t), ct);
        // Everything is in storage now; the local copy would only fill the container's disk.
        Directory.Delete(runDir, recursive: true);
        return new RunResult(version, promotion.Decision, promotion.Moved, trained.TrainTokensPerSecond);
    }

    private async Task<IReadOnlyList<ManifestFile>> WriteReportAsync(
        ModelVersionStore store, ModelVersion version, EvaluationReport report, string folder, CancellationToken ct)
    {
        await ReportFiles.WriteAsync(report, folder, ct);
        return await retry.ExecuteAsync(async t => await store.UploadFilesAsync(version,
            ReportFiles.Names.Select(n => new VersionFile(Path.Combine(folder, n), ReportFiles.InVersion(n))), t), ct);
    }

    /// <summary>Model files at the version's root (Hugging Face layout); the training logs under training/, a LoRA
    /// run's merged model under merged/.</summary>
    private static IEnumerable<VersionFile> VersionFiles(string outputDir)
    {
        foreach (var path in Directory.EnumerateFiles(outputDir))
        {
            var name = Path.GetFileName(path);
            yield return new VersionFile(path, TrainOutput.LogFiles.Contains(name) ? StorageLayout.VersionTrainingFolder + name : name);
        }
        var merged = Path.Combine(outputDir, TrainOutput.MergedFolder);
        if (Directory.Exists(merged))
            foreach (var path in Directory.EnumerateFiles(merged))
                yield return new VersionFile(path, StorageLayout.VersionMergedFolder + Path.GetFileName(path));
        var tensorBoard = Path.Combine(outputDir, TrainOutput.TensorBoardFolder);
        if (Directory.Exists(tensorBoard))
            foreach (var path in Directory.EnumerateFiles(tensorBoard, "*", SearchOption.AllDirectories))
                yield return new VersionFile(path, $"{StorageLayout.VersionTrainingFolder}{TrainOutput.TensorBoardFolder}/" +
                                                   Path.GetRelativePath(tensorBoard, path).Replace('\\', '/'));
    }

    /// <summary>The target's profile; a missing or invalid one, or one without a base model, can never run.</summary>
    private async Task<TargetProfile> LoadProfileAsync(string target, CancellationToken ct)
    {
        TargetProfile? profile;
        try
        {
            profile = await retry.ExecuteAsync(async t => await new TargetProfileStore(blobs).ReadAsync(target, t), ct);
        }
        catch (FormatException e)
        {
            throw new RunInputException(e.Message, e);
        }
        if (profile is null) throw new RunInputException($"target '{target}' has no profile at {TargetProfileStore.SourceName(target)}");
        if (profile.Training.BaseModel is null)
            throw new RunInputException($"{TargetProfileStore.SourceName(target)}: training.base_model is not set");
        return profile;
    }

    /// <summary>Concatenates the datasets' train and eval splits into two local files; the eval file also gets the held-out
    /// splits of <paramref name="heldOutOnly"/> (the current latest's data). Returns where the eval lines come from.</summary>
    private async Task<(string Train, string Eval, IReadOnlyList<HeldOutSource> Sources)> DownloadDatasetsAsync(
        string target, IReadOnlyList<string> datasetIds, IReadOnlyList<HeldOutSource> heldOutOnly, string dataDir, CancellationToken ct)
    {
        var datasets = new DatasetStore(blobs);
        var sources = new List<HeldOutSource>();
        var (train, eval) = (Path.Combine(dataDir, StorageLayout.DatasetTrainFile), Path.Combine(dataDir, StorageLayout.DatasetEvalFile));
        await using (var trainOut = File.Create(train))
        await using (var evalOut = File.Create(eval))
        {
            foreach (var id in datasetIds)
            {
                var trainData = await retry.ExecuteAsync(async t => await datasets.ReadSplitAsync(target, id, DatasetSplit.Train, t), ct)
                    ?? throw new RunInputException($"dataset '{id}' of target '{target}' does not exist " +
                                                   $"({StorageLayout.Datasets}/{StorageLayout.DatasetTrainBlob(target, id)} not found)");
                await AppendLinesAsync(trainOut, trainData, ct);
            }
            foreach (var source in datasetIds.Select(id => new HeldOutSource(id, 0, HeldOutOrigin.ThisRun)).Concat(heldOutOnly))
            {
                var evalData = await retry.ExecuteAsync(async t => await datasets.ReadSplitAsync(target, source.DatasetId, DatasetSplit.Eval, t), ct);
                var lines = evalData is null ? 0 : await AppendLinesAsync(evalOut, evalData, ct);
                if (lines > 0) sources.Add(source with { Pairs = lines });
            }
        }
        if (sources.Count == 0)
            throw new RunInputException($"datasets {string.Join(", ", datasetIds)} of target '{target}' hold no held-out (eval) pairs to evaluate on");
        return (train, eval, sources);
    }

    /// <summary>Appends the lines of <paramref name="data"/> (ending the last one) and returns how many it held.</summary>
    private static async Task<int> AppendLinesAsync(Stream output, BinaryData data, CancellationToken ct)
    {
        var bytes = data.ToMemory();
        await output.WriteAsync(bytes, ct);
        if (bytes.Length > 0 && bytes.Span[^1] != (byte)'\n') output.WriteByte((byte)'\n');
        return bytes.Length == 0 ? 0 : bytes.Span.Count((byte)'\n') + (bytes.Span[^1] == (byte)'\n' ? 0 : 1);
    }

    /// <summary>The datasets behind the target's current latest (its own, its parent's, and so on up the lineage) that
    /// this run does not train on, each with the version that trained on it; none when the target has no latest.</summary>
    private async Task<IReadOnlyList<HeldOutSource>> LatestLineageAsync(string target, IReadOnlyList<string> trainedHere, CancellationToken ct)
    {
        var latest = (await retry.ExecuteAsync(async t => await new LatestPointerStore(blobs).ReadAsync(target, t), ct)).Pointer;
        var found = new List<HeldOutSource>();
        var seen = trainedHere.ToHashSet(StringComparer.Ordinal);
        for (var name = latest?.Version; name is not null && ModelVersion.TryParseName(name, out var n);)
        {
            var manifest = await retry.ExecuteAsync(async t => await _versions.ReadManifestAsync(new ModelVersion(target, n), t), ct);
            if (manifest is null) break; // latest names a version whose manifest is gone: compare on this run's data alone
            found.AddRange(manifest.DatasetIds.Where(seen.Add).Select(id => new HeldOutSource(id, 0, manifest.Version)));
            name = manifest.ParentVersion;
        }
        return found;
    }

    /// <summary>Answers sampled on the first held-out prompts by the starting and the trained model, marked by the rule.</summary>
    private async Task<PolicyReport> SamplePolicyAsync(
        PolicyCheck check, string startModel, string trainedModel, string evalFile, OrpoConfig config, CancellationToken ct)
    {
        var prompts = OrpoRunEngine.SamplePrompts(startModel, evalFile, config, check.MaxPrompts);
        var options = new GenerationOptions { MaxNewTokens = check.MaxNewTokens, Temperature = check.Temperature, TopP = check.TopP, Seed = check.Seed };
        var before = await engine.SampleAsync(startModel, prompts, check.SamplesPerPrompt, options, ct);
        var after = await engine.SampleAsync(trainedModel, prompts, check.SamplesPerPrompt, options, ct);
        var (marksBefore, marksAfter) = (Marks(before), Marks(after));
        return new PolicyReport(check.Name, prompts.Count, check.SamplesPerPrompt, check.Temperature, check.TopP,
            PolicyRate.Of(marksBefore.SelectMany(m => m)), PolicyRate.Of(marksAfter.SelectMany(m => m)),
            [.. prompts.Take(6).Select((p, i) => new SampleGeneration(
                PromptText(evalFile, p.Line), before[i][0], after[i][0], marksBefore[i][0], marksAfter[i][0]))]);

        List<List<AnswerMark>> Marks(IReadOnlyList<IReadOnlyList<string>> answers) => [.. answers.Select(a => a.Select(check.Judge).ToList())];
    }

    // The user's message of an eval.jsonl line (the table shows it, not the chat-template rendering).
    private static string PromptText(string evalFile, int line) => HeldOutPairs.UserMessage(File.ReadLines(evalFile).ElementAt(line - 1));

    /// <summary>The pinned starting model of the run (start.json), or the one the profile names now, pinned.</summary>
    private async Task<(RunStart Start, ResolvedModel Model)> ResolveStartAsync(
        string target, string runId, TrainingProfile training, CancellationToken ct)
    {
        var pinned = await retry.ExecuteAsync(async t => await _runs.ReadStartAsync(target, runId, t), ct);
        var parent = pinned is not null ? pinned.ParentVersion
            : training.Strategy == TrainingStrategies.FromLatest
                ? (await new LatestPointerStore(blobs).ReadAsync(target, ct)).Pointer?.Version
                : null;
        var model = parent is not null
            ? await VersionModelAsync(target, parent, ct)
            : await cache.ResolveAsync(training.BaseModel!, ct);
        if (pinned is not null && pinned.Sha256 != model.Sha256)
            throw new RunInputException($"the starting model {pinned.Source} changed during the run (SHA-256 {model.Sha256}, pinned {pinned.Sha256})");
        if (pinned is { BaseModelSha256: not null }) return (pinned, model);
        // Lineage: from the base model it is the starting model; from a version, the base model that version came from.
        var origin = parent is null ? new BaseModelLineage(pinned?.BaseModel ?? training.BaseModel!, model.Sha256) : await BaseModelOfAsync(target, parent, ct);
        var start = pinned is null
            ? new RunStart(model.Source, model.Sha256, parent, origin.Source, DateTimeOffset.UtcNow, origin.Sha256)
            : pinned with { BaseModel = origin.Source, BaseModelSha256 = origin.Sha256 };
        if (pinned is null) await retry.ExecuteAsync(async t => await _runs.TryCreateStartAsync(target, runId, start, t), ct);
        return (start, model);
    }

    /// <summary>The original base model recorded in a version's manifest (its own lineage's root).</summary>
    private async Task<BaseModelLineage> BaseModelOfAsync(string target, string versionName, CancellationToken ct)
    {
        if (!ModelVersion.TryParseName(versionName, out var n))
            throw new RunInputException($"latest.json of '{target}' names '{versionName}', which is not a version");
        var version = new ModelVersion(target, n);
        var manifest = await retry.ExecuteAsync(async t => await _versions.ReadManifestAsync(version, t), ct)
            ?? throw new RunInputException($"{StorageLayout.Models}/{StorageLayout.ModelVersionManifestBlob(version)} not found: " +
                                           $"the parent version {versionName} of '{target}' has no lineage to continue");
        return manifest.BaseModel;
    }

    /// <summary>A version's full model in the local cache: its root, or merged/ for a LoRA version.</summary>
    private async Task<ResolvedModel> VersionModelAsync(string target, string versionName, CancellationToken ct)
    {
        if (!ModelVersion.TryParseName(versionName, out var n))
            throw new RunInputException($"latest.json of '{target}' names '{versionName}', which is not a version");
        var version = new ModelVersion(target, n);
        var prefix = StorageLayout.ModelVersionPrefix(version);
        var source = $"{StorageLayout.Models}/{prefix.TrimEnd('/')}";
        var mergedConfig = Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, StorageLayout.VersionMergedFolder + HfModelFolder.ConfigFileName));
        if (await retry.ExecuteAsync(async t => (await mergedConfig.ExistsAsync(t)).Value, ct))
            return await cache.FromBlobFolderAsync(Models, prefix + StorageLayout.VersionMergedFolder, source + "/" + StorageLayout.VersionMergedFolder.TrimEnd('/'), ct);
        return await cache.FromBlobFolderAsync(Models, prefix, source, ct, VersionModelFile);
    }

    /// <summary>The files of a version that make up the model (not its manifest, allocation, report or training logs).</summary>
    private static bool VersionModelFile(string relativeName) =>
        !relativeName.Contains('/', StringComparison.Ordinal)
        && relativeName is not (StorageLayout.VersionAllocationFile or StorageLayout.VersionManifestFile);

    private static List<HistoryPoint> ReadHistory(string metricsFile)
    {
        if (!File.Exists(metricsFile)) return [];
        var points = new List<HistoryPoint>();
        foreach (var line in File.ReadLines(metricsFile).Where(l => l.Length > 0))
        {
            var node = JsonNode.Parse(line)!.AsObject();
            var metrics = node.Where(kv => kv.Key != "step" && kv.Value?.GetValueKind() == JsonValueKind.Number)
                .ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<double>());
            points.Add(new HistoryPoint(node["step"]!.GetValue<int>(), metrics));
        }
        return points;
    }
}
