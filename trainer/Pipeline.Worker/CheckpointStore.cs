// Checkpoints of a run in storage: runs/{target}/{runId}/checkpoints/step-NNNNNN/. The files go first and
// _COMPLETE.json (every file's size and SHA-256) last, so a half-written checkpoint has no marker and is skipped;
// a restored one is verified against its marker, and a corrupted one is skipped for the previous complete one.
// Every checkpoint blob carries the index tag kind=checkpoint: the storage lifecycle rule (infra/modules/storage.bicep)
// deletes tagged blobs after the retention period, and nothing else under runs/.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Polly;

namespace Pipeline.Worker;

public sealed record CheckpointMarker(int Step, IReadOnlyList<ManifestFile> Files, DateTimeOffset CompletedAt);

/// <summary>A checkpoint brought back from storage into the local folder the engine resumes from.</summary>
public sealed record RestoredCheckpoint(int Step, string LocalPath);

public sealed class CheckpointStore(BlobContainerClient runs, string target, string runId, ResiliencePipeline retry, ILogger log)
{
    /// <summary>Blob index tag on every checkpoint blob, the marker included, which the lifecycle rule matches.</summary>
    public const string LifecycleTagName = "kind";

    /// <inheritdoc cref="LifecycleTagName"/>
    public const string LifecycleTagValue = "checkpoint";

    private static BlobUploadOptions Tagged() => new() { Tags = new Dictionary<string, string> { [LifecycleTagName] = LifecycleTagValue } };

    /// <summary>Uploads a local checkpoint folder; the marker is written only after every file is stored.</summary>
    public async Task UploadAsync(string localFolder, int step, CancellationToken ct)
    {
        var prefix = StorageLayout.RunCheckpointPrefix(target, runId, step);
        var files = new List<ManifestFile>();
        foreach (var path in Directory.EnumerateFiles(localFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetRelativePath(localFolder, path).Replace('\\', '/');
            files.Add(new ManifestFile(name, new FileInfo(path).Length, await FileHash.Sha256Async(path, ct)));
            await retry.ExecuteAsync(async t => await runs.GetBlobClient(prefix + name).UploadAsync(path, Tagged(), t), ct);
        }
        var marker = ContractJson.Serialize(new CheckpointMarker(step, files, DateTimeOffset.UtcNow));
        await retry.ExecuteAsync(async t => await runs.GetBlobClient(prefix + StorageLayout.CheckpointMarkerFile).UploadAsync(marker, Tagged(), t), ct);
    }

    /// <summary>Steps that have a completion marker, newest first.</summary>
    public async Task<IReadOnlyList<int>> CompleteStepsAsync(CancellationToken ct)
    {
        var steps = new List<int>();
        var root = StorageLayout.RunCheckpointsPrefix(target, runId);
        await foreach (var blob in runs.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = root }, ct))
        {
            if (StorageLayout.CheckpointStepOfMarker(blob.Name[root.Length..]) is { } step) steps.Add(step);
        }
        steps.Sort((a, b) => b.CompareTo(a));
        return steps;
    }

    /// <summary>Downloads the newest complete checkpoint whose files match their marker into
    /// <paramref name="localCheckpointsRoot"/>/{localName(step)}; null when there is none.</summary>
    public async Task<RestoredCheckpoint?> RestoreNewestAsync(string localCheckpointsRoot, Func<int, string> localName, CancellationToken ct)
    {
        foreach (var step in await CompleteStepsAsync(ct))
        {
            var final = Path.Combine(localCheckpointsRoot, localName(step));
            var tmp = final + ".download";
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            Directory.CreateDirectory(tmp);
            var problem = await DownloadVerifiedAsync(step, tmp, ct);
            if (problem is not null)
            {
                log.LogWarning("Skipping checkpoint step {Step} of {RunId}: {Problem}", step, runId, problem);
                Directory.Delete(tmp, recursive: true);
                continue;
            }
            if (Directory.Exists(final)) Directory.Delete(final, recursive: true);
            Directory.Move(tmp, final);
            return new RestoredCheckpoint(step, final);
        }
        return null;
    }

    /// <summary>Null when every file listed in the marker downloaded with its size and hash, else what was wrong.</summary>
    private async Task<string?> DownloadVerifiedAsync(int step, string folder, CancellationToken ct)
    {
        var prefix = StorageLayout.RunCheckpointPrefix(target, runId, step);
        var markerData = await retry.ExecuteAsync(async t => await runs.GetBlobClient(prefix + StorageLayout.CheckpointMarkerFile).TryDownloadAsync(t), ct);
        CheckpointMarker marker;
        try
        {
            marker = ContractJson.Deserialize<CheckpointMarker>(markerData ?? throw new InvalidDataException("marker vanished"), prefix + StorageLayout.CheckpointMarkerFile);
        }
        catch (Exception e) when (e is InvalidDataException or System.Text.Json.JsonException)
        {
            return $"{prefix}{StorageLayout.CheckpointMarkerFile} is unreadable: {e.Message}";
        }
        if (marker.Files.Count == 0) return $"{prefix}{StorageLayout.CheckpointMarkerFile} lists no files";
        foreach (var file in marker.Files)
        {
            if (file.Path.Contains("..", StringComparison.Ordinal) || Path.IsPathRooted(file.Path))
                return $"{prefix}{StorageLayout.CheckpointMarkerFile} names an unsafe path '{file.Path}'";
            var local = Path.Combine(folder, file.Path);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            try
            {
                await retry.ExecuteAsync(async t => await runs.GetBlobClient(prefix + file.Path).DownloadToAsync(local, t), ct);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                return $"{prefix}{file.Path} is missing";
            }
            var bytes = new FileInfo(local).Length;
            if (bytes != file.Bytes) return $"{prefix}{file.Path} has {bytes} bytes, the marker says {file.Bytes}";
            var sha = await FileHash.Sha256Async(local, ct);
            if (sha != file.Sha256) return $"{prefix}{file.Path} has SHA-256 {sha}, the marker says {file.Sha256}";
        }
        return null;
    }
}
