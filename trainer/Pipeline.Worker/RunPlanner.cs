// Decides what a received request trains, before the run starts: waits out the profile's debounce window so a burst
// of files becomes one run, takes every accepted dataset not trained yet (from_latest) or all of them (from_base), and
// recognises a request whose datasets a written version already covers (acknowledged without work).
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Polly;

namespace Pipeline.Worker;

/// <summary>The request to run (its dataset ids may differ from the message's), or the version that already covers it.</summary>
public sealed record RunPlan(TrainingRequest Request, string? CoveredBy)
{
    public bool NothingToDo => CoveredBy is not null;
}

public sealed class RunPlanner(BlobServiceClient blobs, ResiliencePipeline retry, ILogger<RunPlanner> log)
{
    private readonly DatasetStore _datasets = new(blobs);
    private readonly TargetProfileStore _profiles = new(blobs);

    public async Task<RunPlan> PlanAsync(TrainingRequest request, CancellationToken ct)
    {
        // A person's retrain trains exactly its datasets, covered or not.
        if (request.Reason == TrainingRequest.RetrainReason) return new RunPlan(request, null);
        // A missing or broken profile is the executor's to report (dead-letter with the reason): plan nothing here.
        if (await TryLoadTrainingAsync(request.Target, ct) is not { } training) return new RunPlan(request, null);

        var accepted = await WaitForQuietAsync(request, TimeSpan.FromSeconds(training.DebounceSeconds), ct);
        var covered = await CoveredDatasetsAsync(request.Target, ct);
        // Acceptance order, the request's own datasets included even when their markers are not written yet.
        var known = accepted.Select(a => a.DatasetId).Concat(request.DatasetIds).Distinct(StringComparer.Ordinal).ToList();
        var pending = known.Where(id => !covered.ContainsKey(id)).ToList();
        if (pending.Count == 0)
        {
            var by = covered[request.DatasetIds[0]];
            log.LogInformation("Request {RequestId}: datasets already trained in {Version}; nothing to do", request.RequestId, by);
            return new RunPlan(request, by);
        }

        IReadOnlyList<string> datasets = training.Strategy == TrainingStrategies.FromBase ? known : pending;
        if (datasets.SequenceEqual(request.DatasetIds, StringComparer.Ordinal)) return new RunPlan(request, null);
        log.LogInformation("Request {RequestId} of {Target} trains {Count} datasets ({Strategy}): {Datasets}",
            request.RequestId, request.Target, datasets.Count, training.Strategy, string.Join(", ", datasets));
        return new RunPlan(request with
        {
            DatasetIds = datasets,
            RequestId = TrainingRequest.DeriveId(request.Target, datasets, request.ProfileHash),
        }, null);
    }

    /// <summary>Waits until no dataset of the target was accepted within <paramref name="window"/>; returns the accepted datasets.</summary>
    private async Task<IReadOnlyList<AcceptedDataset>> WaitForQuietAsync(TrainingRequest request, TimeSpan window, CancellationToken ct)
    {
        while (true)
        {
            var accepted = await AcceptedDatasetsAsync(request.Target, ct);
            if (window <= TimeSpan.Zero) return accepted;
            var newest = accepted.Select(a => a.AcceptedAt).Append(request.CreatedAt).Max();
            var wait = newest + window - DateTimeOffset.UtcNow;
            if (wait <= TimeSpan.Zero) return accepted;
            log.LogInformation("Request {RequestId}: waiting {WaitMs} ms for the target to be quiet (debounce)", request.RequestId, (int)wait.TotalMilliseconds);
            await Task.Delay(wait, ct);
        }
    }

    /// <summary>The target's accepted datasets (DatasetStore's one definition), oldest first.</summary>
    public async Task<IReadOnlyList<AcceptedDataset>> AcceptedDatasetsAsync(string target, CancellationToken ct) =>
        await retry.ExecuteAsync(async t => await _datasets.ListAcceptedAsync(target, t), ct);

    /// <summary>Dataset id -> the first version whose manifest lists it (a version held back by the gate counts: its data was trained).</summary>
    public async Task<IReadOnlyDictionary<string, string>> CoveredDatasetsAsync(string target, CancellationToken ct)
    {
        var store = new ModelVersionStore(blobs);
        var covered = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var number in await retry.ExecuteAsync(async t => await store.ListNumbersAsync(target, t), ct))
        {
            var manifest = await retry.ExecuteAsync(async t => await store.ReadManifestAsync(new ModelVersion(target, number), t), ct);
            foreach (var id in manifest?.DatasetIds ?? []) covered.TryAdd(id, manifest!.Version);
        }
        return covered;
    }

    /// <summary>The target's training settings, or null when its profile is missing or invalid (the executor reports that).</summary>
    private async Task<TrainingProfile?> TryLoadTrainingAsync(string target, CancellationToken ct)
    {
        try
        {
            return (await retry.ExecuteAsync(async t => await _profiles.ReadAsync(target, t), ct))?.Training;
        }
        catch (FormatException)
        {
            return null;
        }
    }
}
