// Reads the datasets of a target (datasets/{target}/{datasetId}/): which datasets the target accepted, in order, and
// their splits. Ingestion writes them (IngestionService); the worker and the HTTP functions read them through here.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Storage;

/// <summary>A dataset the target accepted: its id and when its training request was created (the marker's created_at).</summary>
public sealed record AcceptedDataset(string DatasetId, DateTimeOffset AcceptedAt);

public enum DatasetSplit { Train, Eval }

public sealed class DatasetStore(BlobServiceClient blobs)
{
    private BlobContainerClient Datasets => blobs.GetBlobContainerClient(StorageLayout.Datasets);

    /// <summary>The target's datasets: those whose training request was published (the request marker exists), oldest
    /// first by the request's created_at (blob listings only carry whole seconds), then by id.</summary>
    public async Task<IReadOnlyList<AcceptedDataset>> ListAcceptedAsync(string target, CancellationToken ct)
    {
        var found = new List<AcceptedDataset>();
        if (!(await Datasets.ExistsAsync(ct).ConfigureAwait(false)).Value) return found;
        var markers = new List<string>();
        await foreach (var item in Datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = StorageLayout.TargetPrefix(target) }, ct).ConfigureAwait(false))
            if (StorageLayout.DatasetIdOfRequestMarker(item.Name) is not null) markers.Add(item.Name);
        foreach (var name in markers)
        {
            var content = await Datasets.GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false);
            found.Add(new AcceptedDataset(StorageLayout.DatasetIdOfRequestMarker(name)!, TrainingRequest.Parse(content.Value.Content.ToString()).CreatedAt));
        }
        return [.. found.OrderBy(a => a.AcceptedAt).ThenBy(a => a.DatasetId, StringComparer.Ordinal)];
    }

    /// <summary>Whether the dataset exists and is trainable (its train split was written).</summary>
    public async Task<bool> ExistsAsync(string target, string datasetId, CancellationToken ct) =>
        (await Datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(target, datasetId)).ExistsAsync(ct).ConfigureAwait(false)).Value;

    /// <summary>A split's JSON lines, or null when the dataset has no such split.</summary>
    public Task<BinaryData?> ReadSplitAsync(string target, string datasetId, DatasetSplit split, CancellationToken ct) =>
        Datasets.GetBlobClient(split == DatasetSplit.Train
            ? StorageLayout.DatasetTrainBlob(target, datasetId)
            : StorageLayout.DatasetEvalBlob(target, datasetId)).TryDownloadAsync(ct);

    /// <summary>The dataset's validation report (report.json), or null when there is no such dataset.</summary>
    public Task<BinaryData?> ReadReportAsync(string target, string datasetId, CancellationToken ct) =>
        Datasets.GetBlobClient(StorageLayout.DatasetReportBlob(target, datasetId)).TryDownloadAsync(ct);
}
