// Decides what a received request trains, before the run starts, without waiting: while the target is inside its
// debounce window (a dataset accepted less than debounce_seconds ago, capped at debounce_max_seconds from the oldest
// untrained one) the answer is "not before T", and the worker defers the message until then instead of holding it, so
// one target's burst never blocks another's. Once quiet it takes every accepted dataset not trained yet (from_latest)
// or all of them (from_base), and recognises a request whose datasets a written version already covers.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Polly;

namespace Pipeline.Worker;

/// <summary>The request to run (its dataset ids may differ from the message's), the version that already covers it,
/// or the time before which it may not start (the target's debounce window).</summary>
public sealed record RunPlan(TrainingRequest Request, string? CoveredBy, DateTimeOffset? NotBefore = null)
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

        var accepted = await AcceptedDatasetsAsync(request.Target, ct);
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
        if (QuietAt(request, accepted, pending, training) is { } quiet && quiet > DateTimeOffset.UtcNow)
        {
            log.LogInformation("Request {RequestId}: {Target} is inside its debounce window; not before {NotBefore:O}", request.RequestId, request.Target, quiet);
            return new RunPlan(request, null, quiet);
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

    /// <summary>When the target's burst is over: debounce after the newest accepted dataset, but no later than
    /// debounce_max after the oldest untrained one (a steady drip still gets trained). Null without a debounce window.</summary>
    private static DateTimeOffset? QuietAt(TrainingRequest request, IReadOnlyList<AcceptedDataset> accepted,
        IReadOnlyList<string> pending, TrainingProfile training)
    {
        if (training.Debounce <= TimeSpan.Zero) return null;
        var newest = accepted.Select(a => a.AcceptedAt).Append(request.CreatedAt).Max();
        var untrained = new HashSet<string>(pending, StringComparer.Ordinal);
        var oldest = accepted.Where(a => untrained.Contains(a.DatasetId)).Select(a => a.AcceptedAt).Append(request.CreatedAt).Min();
        var quiet = newest + training.Debounce;
        var cap = oldest + training.DebounceMax;
        return quiet < cap ? quiet : cap;
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
