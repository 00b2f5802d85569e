// Reads and writes runs/{target}/{runId}/status.json. Only the lease holder writes (the lease id is a write condition);
// the queued status is created once with If-None-Match: *.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Versions;

namespace Pipeline.Worker;

public sealed class RunStatusStore(BlobContainerClient runs)
{
    public BlobClient Blob(string target, string runId) => runs.GetBlobClient(RunBlobs.Status(target, runId));

    public async Task<RunStatus?> ReadAsync(string target, string runId, CancellationToken ct)
    {
        var data = await Blob(target, runId).TryDownloadAsync(ct);
        return data is null ? null : VersionJson.Deserialize<RunStatus>(data, $"{runs.Name}/{RunBlobs.Status(target, runId)}");
    }

    /// <summary>Creates status.json when the run has none yet; false when it existed.</summary>
    public Task<bool> TryCreateAsync(RunStatus status, CancellationToken ct) =>
        Blob(status.Target, status.RunId).TryCreateAsync(VersionJson.Serialize(status), "application/json", ct);

    /// <summary>Overwrites status.json under the run's lease (412 when the lease is no longer ours).</summary>
    public async Task WriteAsync(RunStatus status, string leaseId, CancellationToken ct)
    {
        using var content = VersionJson.Serialize(status).ToStream();
        await Blob(status.Target, status.RunId).UploadAsync(content, new BlobUploadOptions
        {
            Conditions = new BlobRequestConditions { LeaseId = leaseId },
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
        }, ct);
    }
}
