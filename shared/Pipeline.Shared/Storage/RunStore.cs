// Reads and writes a run's own blobs (runs/{target}/{runId}/): status.json, start.json and the training log. Only the
// lease holder overwrites status.json (the lease id is a write condition); the queued status and start.json are
// created once with If-None-Match: *.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Storage;

public sealed class RunStore(BlobServiceClient blobs)
{
    public BlobContainerClient Container => blobs.GetBlobContainerClient(StorageLayout.Runs);

    /// <summary>The run's status blob: the one its lease is taken on.</summary>
    public BlobClient StatusBlob(string target, string runId) => Container.GetBlobClient(StorageLayout.RunStatusBlob(target, runId));

    /// <summary>The run's training log as of its newest uploaded checkpoint.</summary>
    public BlobClient MetricsBlob(string target, string runId) => Container.GetBlobClient(StorageLayout.RunMetricsBlob(target, runId));

    public async Task<RunStatus?> ReadStatusAsync(string target, string runId, CancellationToken ct)
    {
        var blob = StatusBlob(target, runId);
        var data = await blob.TryDownloadAsync(ct).ConfigureAwait(false);
        return data is null ? null : ContractJson.Deserialize<RunStatus>(data, $"{StorageLayout.Runs}/{blob.Name}");
    }

    /// <summary>Creates status.json when the run has none yet; false when it existed.</summary>
    public Task<bool> TryCreateStatusAsync(RunStatus status, CancellationToken ct) =>
        StatusBlob(status.Target, status.RunId).TryCreateAsync(ContractJson.Serialize(status), "application/json", ct);

    /// <summary>Overwrites status.json under the run's lease (412 when the lease is no longer ours).</summary>
    public async Task WriteStatusAsync(RunStatus status, string leaseId, CancellationToken ct)
    {
        using var content = ContractJson.Serialize(status).ToStream();
        await StatusBlob(status.Target, status.RunId).UploadAsync(content, new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { LeaseId = leaseId },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, ct).ConfigureAwait(false);
    }

    /// <summary>The status of every run of the target, the most recently updated first.</summary>
    public async Task<IReadOnlyList<RunStatus>> ListStatusesAsync(string target, CancellationToken ct)
    {
        var runs = new List<RunStatus>();
        if (!(await Container.ExistsAsync(ct).ConfigureAwait(false)).Value) return runs;
        await foreach (var item in Container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, StorageLayout.Delimiter, StorageLayout.TargetPrefix(target), ct).ConfigureAwait(false))
            if (item.IsPrefix && item.Prefix.Split('/')[1] is var runId && StorageLayout.IsRunFolder(runId)
                && await ReadStatusAsync(target, runId, ct).ConfigureAwait(false) is { } status)
                runs.Add(status);
        return [.. runs.OrderByDescending(r => r.UpdatedAt)];
    }

    /// <summary>The starting model pinned at the run's first attempt, or null before it is pinned.</summary>
    public async Task<RunStart?> ReadStartAsync(string target, string runId, CancellationToken ct)
    {
        var blob = Container.GetBlobClient(StorageLayout.RunStartBlob(target, runId));
        var data = await blob.TryDownloadAsync(ct).ConfigureAwait(false);
        return data is null ? null : ContractJson.Deserialize<RunStart>(data, $"{StorageLayout.Runs}/{blob.Name}");
    }

    /// <summary>Pins the starting model once; false when another attempt pinned it first.</summary>
    public Task<bool> TryCreateStartAsync(string target, string runId, RunStart start, CancellationToken ct) =>
        Container.GetBlobClient(StorageLayout.RunStartBlob(target, runId)).TryCreateAsync(ContractJson.Serialize(start), "application/json", ct);
}
