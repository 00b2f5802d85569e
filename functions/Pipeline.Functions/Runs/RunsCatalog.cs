// Reads what the trainer writes (runs/{target}/{runId}/status.json, models/{target}/v{NNNN}/manifest.json and
// latest.json) for the HTTP functions, and publishes retrain requests. JSON is passed through as the trainer wrote it.
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Runs;

/// <summary>A retrain request as published, or why none was.</summary>
public sealed record RetrainResult(TrainingRequest? Request, string RunId, string? Problem);

public sealed class RunsCatalog(BlobServiceClient blobs, ITrainingRequestPublisher publisher)
{
    private BlobContainerClient Container(string name) => blobs.GetBlobContainerClient(name);

    /// <summary>status.json of every run of the target, newest update first.</summary>
    public async Task<IReadOnlyList<JsonObject>> ListRunsAsync(string target, CancellationToken ct)
    {
        var runs = new List<JsonObject>();
        await foreach (var runPrefix in PrefixesAsync(Container(StorageLayout.Runs), $"{TargetName.Validate(target)}/", ct))
            if (await ReadAsync(Container(StorageLayout.Runs), runPrefix + "status.json", ct) is { } status) runs.Add(status);
        return [.. runs.OrderByDescending(r => r["updated_at"]?.GetValue<DateTimeOffset>())];
    }

    public Task<JsonObject?> GetRunAsync(string target, string runId, CancellationToken ct) =>
        ReadAsync(Container(StorageLayout.Runs), StorageLayout.RunPrefix(target, runId) + "status.json", ct);

    /// <summary>{ latest, versions: [{ version, complete, manifest }] }: a version without manifest is still being written.</summary>
    public async Task<JsonObject> ListVersionsAsync(string target, CancellationToken ct)
    {
        var models = Container(StorageLayout.Models);
        var versions = new JsonArray();
        await foreach (var prefix in PrefixesAsync(models, $"{TargetName.Validate(target)}/", ct))
        {
            var name = prefix[(target.Length + 1)..].TrimEnd('/');
            if (!name.StartsWith('v')) continue;
            var manifest = await ReadAsync(models, prefix + "manifest.json", ct);
            versions.Add(new JsonObject { ["version"] = name, ["complete"] = manifest is not null, ["manifest"] = manifest });
        }
        return new JsonObject { ["target"] = target, ["latest"] = await ReadAsync(models, StorageLayout.ModelLatestBlob(target), ct), ["versions"] = versions };
    }

    /// <summary>Publishes a fresh request (a new id, so it is not taken for a repeat of an earlier run) for the given
    /// datasets, or for every dataset of the target when none are named.</summary>
    public async Task<RetrainResult> RequestRetrainAsync(string target, IReadOnlyList<string>? datasetIds, CancellationToken ct)
    {
        if (TargetName.Problem(target) is { } problem) return new RetrainResult(null, "", problem);
        var datasets = Container(StorageLayout.Datasets);
        var ids = datasetIds is { Count: > 0 } ? datasetIds : await AllDatasetsAsync(target, ct);
        if (ids.Count == 0) return new RetrainResult(null, "", $"target '{target}' has no datasets to train on");
        foreach (var id in ids)
        {
            string blob;
            try
            {
                blob = StorageLayout.DatasetTrainBlob(target, id);
            }
            catch (ArgumentException e)
            {
                return new RetrainResult(null, "", e.Message);
            }
            if (!(await datasets.GetBlobClient(blob).ExistsAsync(ct)).Value)
                return new RetrainResult(null, "", $"dataset '{id}' of target '{target}' does not exist ({StorageLayout.Datasets}/{blob})");
        }
        var now = DateTimeOffset.UtcNow;
        var request = new TrainingRequest
        {
            RequestId = TrainingRequest.DeriveId(target, ids, $"retrain@{now:O}"), Target = target, DatasetIds = ids,
            Reason = "retrain", CreatedAt = now,
        };
        await publisher.PublishAsync(request, ct);
        return new RetrainResult(request, RunIdOf(request), null);
    }

    /// <summary>The trainer's run id for a request (Pipeline.Worker.RunBlobs.RunId: "req-X" runs as "run-X").</summary>
    public static string RunIdOf(TrainingRequest request) =>
        request.RequestId.StartsWith("req-", StringComparison.Ordinal) ? "run-" + request.RequestId[4..] : "run-" + request.RequestId;

    /// <summary>Datasets of the target, oldest first (by when their train split was written).</summary>
    private async Task<IReadOnlyList<string>> AllDatasetsAsync(string target, CancellationToken ct)
    {
        var found = new List<(DateTimeOffset Created, string Id)>();
        var datasets = Container(StorageLayout.Datasets);
        await foreach (var prefix in PrefixesAsync(datasets, $"{target}/", ct))
        {
            var id = prefix[(target.Length + 1)..].TrimEnd('/');
            if (id.StartsWith('_')) continue; // _pairs/, _content/: ingestion's indexes
            var train = datasets.GetBlobClient(prefix + "train.jsonl");
            try
            {
                found.Add(((await train.GetPropertiesAsync(cancellationToken: ct)).Value.CreatedOn, id));
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
                // A dataset folder without a train split (quarantined or still being written) is not trainable.
            }
        }
        return [.. found.OrderBy(f => f.Created).Select(f => f.Id)];
    }

    private static async IAsyncEnumerable<string> PrefixesAsync(BlobContainerClient container, string prefix,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        if (!(await container.ExistsAsync(ct)).Value) yield break;
        await foreach (var item in container.GetBlobsByHierarchyAsync(BlobTraits.None, BlobStates.None, "/", prefix, ct))
            if (item.IsPrefix) yield return item.Prefix;
    }

    private static async Task<JsonObject?> ReadAsync(BlobContainerClient container, string name, CancellationToken ct) =>
        await container.GetBlobClient(name).TryDownloadAsync(ct) is { } data ? JsonNode.Parse(data.ToString())?.AsObject() : null;
}
