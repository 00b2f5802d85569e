// Reads and moves models/{target}/latest.json with optimistic concurrency: If-Match on the ETag read (If-None-Match: *
// when there is none yet), so two workers racing to promote cannot overwrite each other's decision unseen.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Storage;

public sealed record LatestSnapshot(LatestPointer? Pointer, ETag? ETag);

/// <summary>The gate's verdict and whether latest.json now names the candidate.</summary>
public sealed record PromotionResult(GateDecision Decision, bool Moved);

public sealed class LatestPointerStore(BlobServiceClient blobs)
{
    private BlobContainerClient Models => blobs.GetBlobContainerClient(StorageLayout.Models);

    private static string BlobName(string target) => StorageLayout.ModelLatestBlob(target);

    public async Task<LatestSnapshot> ReadAsync(string target, CancellationToken ct)
    {
        try
        {
            var content = await Models.GetBlobClient(BlobName(target)).DownloadContentAsync(ct);
            var pointer = ContractJson.Deserialize<LatestPointer>(content.Value.Content, $"{Models.Name}/{BlobName(target)}");
            return new LatestSnapshot(pointer, content.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new LatestSnapshot(null, null);
        }
    }

    /// <summary>Applies the gate against the current latest and moves the pointer when it passes. When another worker
    /// moves the pointer between read and write (412/409), the gate is applied again against the new latest.</summary>
    public Task<PromotionResult> PromoteAsync(
        ModelVersion candidate, string runId, IReadOnlyDictionary<string, double> metrics,
        GateTolerances tolerances, CancellationToken ct) =>
        PromoteAsync(candidate, runId, metrics, latest => GateDecision.Evaluate(metrics, latest, tolerances), ct);

    /// <param name="decide">The gate for a given current latest (the worker compares on its own held-out split when it
    /// evaluated that version, else on the metrics latest.json carries).</param>
    public async Task<PromotionResult> PromoteAsync(
        ModelVersion candidate, string runId, IReadOnlyDictionary<string, double> metrics,
        Func<LatestPointer?, GateDecision> decide, CancellationToken ct)
    {
        while (true)
        {
            var current = await ReadAsync(candidate.Target, ct);
            if (current.Pointer?.Version == candidate.Name)
                return new PromotionResult(decide(null) with { Reason = "already latest (a repeat of this run promoted it)" }, true);
            var decision = decide(current.Pointer);
            if (!decision.Passed) return new PromotionResult(decision, false);
            if (current.Pointer is not null && ModelVersion.TryParseName(current.Pointer.Version, out var n) && n > candidate.Number)
                return new PromotionResult(decision with
                {
                    Passed = false,
                    Reason = $"a newer version {current.Pointer.Version} is already latest; {decision.Reason}",
                }, false);

            var pointer = new LatestPointer
            {
                Target = candidate.Target, Version = candidate.Name, RunId = runId, Metrics = metrics, UpdatedAt = DateTimeOffset.UtcNow,
            };
            var conditions = current.ETag is { } etag
                ? new BlobRequestConditions { IfMatch = etag }
                : new BlobRequestConditions { IfNoneMatch = ETag.All };
            try
            {
                await Models.GetBlobClient(BlobName(candidate.Target)).UploadAsync(
                    ContractJson.Serialize(pointer), new BlobUploadOptions { Conditions = conditions }, ct);
                return new PromotionResult(decision, true);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Someone moved latest meanwhile: decide again against what is there now.
            }
        }
    }
}
