// Resolves a model a run starts from to a local folder: "base-models/{folder}" in storage (downloaded once into the
// cache, keyed by the remote files' names, sizes and ETags) or a local path. Every use is verified by hash: the cache
// holds the SHA-256 of the folder it downloaded, and a cached copy that no longer matches is downloaded again.
using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Polly;

namespace Pipeline.Worker;

/// <summary>A model folder on local disk, where it came from, and the SHA-256 of its files (FileHash.FolderSha256Async).</summary>
public sealed record ResolvedModel(string LocalPath, string Source, string Sha256);

public sealed class BaseModelCache(BlobServiceClient blobs, string cacheDirectory, ResiliencePipeline retry, ILogger log)
{
    private const string HashFile = ".sha256";

    /// <summary>Resolves "base-models/{folder}" or a local folder path.</summary>
    public async Task<ResolvedModel> ResolveAsync(string spec, CancellationToken ct)
    {
        if (StorageLayout.BaseModelPrefixOf(spec) is { } prefix)
            return await FromBlobFolderAsync(blobs.GetBlobContainerClient(StorageLayout.BaseModels), prefix, spec, ct);
        if (!Directory.Exists(spec))
            throw new RunInputException($"base model '{spec}' is neither base-models/{{folder}} nor an existing local folder");
        return new ResolvedModel(Path.GetFullPath(spec), spec, await FileHash.FolderSha256Async(spec, ct));
    }

    /// <summary>Brings the blob folder <paramref name="prefix"/> of <paramref name="container"/> into the cache.</summary>
    /// <param name="include">Which files (by name relative to the prefix) belong to the model; all when null.</param>
    public async Task<ResolvedModel> FromBlobFolderAsync(
        BlobContainerClient container, string prefix, string source, CancellationToken ct, Func<string, bool>? include = null)
    {
        var items = new List<BlobItem>();
        await retry.ExecuteAsync(async t =>
        {
            items.Clear();
            await foreach (var item in container.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, t))
                if (include?.Invoke(item.Name[prefix.Length..]) ?? true) items.Add(item);
        }, ct);
        if (items.Count == 0) throw new RunInputException($"model folder {container.Name}/{prefix} is empty or does not exist");

        var identity = new StringBuilder();
        foreach (var item in items.OrderBy(i => i.Name, StringComparer.Ordinal))
            identity.Append(item.Name).Append('\0').Append(item.Properties.ContentLength).Append('\0').Append(item.Properties.ETag).Append('\n');
        var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..24];
        var folder = Path.Combine(cacheDirectory, container.Name, key);

        if (File.Exists(Path.Combine(folder, HashFile)))
        {
            var expected = (await File.ReadAllTextAsync(Path.Combine(folder, HashFile), ct)).Trim();
            var actual = await FileHash.FolderSha256Async(Path.Combine(folder, "model"), ct);
            if (actual == expected) return new ResolvedModel(Path.Combine(folder, "model"), source, actual);
            log.LogWarning("Cached model {Source} at {Folder} fails its hash check; downloading it again", source, folder);
        }

        var tmp = folder + ".tmp-" + Guid.NewGuid().ToString("N")[..8];
        var model = Path.Combine(tmp, "model");
        foreach (var item in items)
        {
            var local = Path.Combine(model, item.Name[prefix.Length..]);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            await retry.ExecuteAsync(async t => await container.GetBlobClient(item.Name).DownloadToAsync(local, t), ct);
        }
        var sha = await FileHash.FolderSha256Async(model, ct);
        await File.WriteAllTextAsync(Path.Combine(tmp, HashFile), sha, ct);
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(Path.GetDirectoryName(folder)!);
        try
        {
            Directory.Move(tmp, folder);
        }
        catch (IOException) when (Directory.Exists(folder))
        {
            // Another run in this process cached the same files first; theirs are identical by key.
            Directory.Delete(tmp, recursive: true);
        }
        log.LogInformation("Cached model {Source} ({Files} files) at {Folder}", source, items.Count, folder);
        return new ResolvedModel(Path.Combine(folder, "model"), source, sha);
    }
}
