// What the HTTP functions read of the trainer's work, through the shared stores: a target's runs (status.json), its
// model versions with their manifests and latest.json, and retrain requests published for its datasets.
using Azure.Storage.Blobs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Runs;

/// <summary>A retrain request as published, or why none was.</summary>
public sealed record RetrainResult(TrainingRequest? Request, string RunId, string? Problem);

/// <summary>A target's versions, oldest first, and the one latest.json names (null before the first promotion).</summary>
public sealed record VersionListing(string Target, LatestPointer? Latest, IReadOnlyList<VersionEntry> Versions);

public sealed class RunsCatalog(BlobServiceClient blobs, ITrainingRequestPublisher publisher)
{
    private readonly RunStore _runs = new(blobs);
    private readonly DatasetStore _datasets = new(blobs);

    /// <summary>status.json of every run of the target, newest update first.</summary>
    public Task<IReadOnlyList<RunStatus>> ListRunsAsync(string target, CancellationToken ct) =>
        _runs.ListStatusesAsync(TargetName.Validate(target), ct);

    public Task<RunStatus?> GetRunAsync(string target, string runId, CancellationToken ct) => _runs.ReadStatusAsync(target, runId, ct);

    /// <summary>Every version with its manifest (a version without one is still being written) and latest.</summary>
    public async Task<VersionListing> ListVersionsAsync(string target, CancellationToken ct) => new(
        target,
        (await new LatestPointerStore(blobs).ReadAsync(TargetName.Validate(target), ct)).Pointer,
        await new ModelVersionStore(blobs).ListAsync(target, ct));

    /// <summary>Publishes a fresh request (a new id, so it is not taken for a repeat of an earlier run) for the given
    /// datasets, or for every dataset of the target when none are named.</summary>
    public async Task<RetrainResult> RequestRetrainAsync(string target, IReadOnlyList<string>? datasetIds, CancellationToken ct)
    {
        if (TargetName.Problem(target) is { } problem) return new RetrainResult(null, "", problem);
        var ids = datasetIds is { Count: > 0 } ? datasetIds : [.. (await _datasets.ListAcceptedAsync(target, ct)).Select(d => d.DatasetId)];
        if (ids.Count == 0) return new RetrainResult(null, "", $"target '{target}' has no datasets to train on");
        foreach (var id in ids)
        {
            bool exists;
            try
            {
                exists = await _datasets.ExistsAsync(target, id, ct);
            }
            catch (ArgumentException e)
            {
                return new RetrainResult(null, "", e.Message);
            }
            if (!exists)
                return new RetrainResult(null, "", $"dataset '{id}' of target '{target}' does not exist ({StorageLayout.Datasets}/{StorageLayout.DatasetTrainBlob(target, id)})");
        }
        var now = DateTimeOffset.UtcNow;
        var request = new TrainingRequest
        {
            RequestId = TrainingRequest.DeriveId(target, ids, $"retrain@{now:O}"), Target = target, DatasetIds = ids,
            Reason = TrainingRequest.RetrainReason, CreatedAt = now,
        };
        await publisher.PublishAsync(request, ct);
        return new RetrainResult(request, request.RunId, null);
    }
}
