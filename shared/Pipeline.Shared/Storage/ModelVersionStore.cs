// Allocates, fills and lists model versions models/{target}/v{NNNN}/. Numbers are taken with conditional creates so two
// workers never take the same one; a run that allocates twice (after a crash) gets its own number back.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Storage;

public sealed class ModelVersionStore(BlobServiceClient blobs)
{
    private BlobContainerClient Models => blobs.GetBlobContainerClient(StorageLayout.Models);

    /// <summary>The version this run owns: the one it allocated before (after a crash or redelivery), else the next free number.</summary>
    public async Task<ModelVersion> AllocateAsync(string target, VersionAllocation allocation, CancellationToken ct)
    {
        var existing = await ListNumbersAsync(target, ct);
        foreach (var number in existing)
        {
            var mine = await ReadAllocationAsync(new ModelVersion(target, number), ct);
            if (mine?.RunId == allocation.RunId) return new ModelVersion(target, number);
        }
        var next = existing.Count == 0 ? 1 : existing[^1] + 1;
        while (true)
        {
            var version = new ModelVersion(target, next);
            try
            {
                await Models.GetBlobClient(StorageLayout.ModelVersionAllocationBlob(version)).UploadAsync(
                    ContractJson.Serialize(allocation),
                    new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, ct);
                return version;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                next++; // another worker took this number first
            }
        }
    }

    /// <summary>Version numbers of the target that have an allocation, ascending.</summary>
    public async Task<IReadOnlyList<int>> ListNumbersAsync(string target, CancellationToken ct)
    {
        var numbers = new List<int>();
        if (!(await Models.ExistsAsync(ct)).Value) return numbers;
        await foreach (var item in Models.GetBlobsByHierarchyAsync(
                           BlobTraits.None, BlobStates.None, StorageLayout.Delimiter, StorageLayout.TargetPrefix(target), ct))
        {
            if (!item.IsPrefix) continue;
            var name = item.Prefix[(target.Length + 1)..].TrimEnd('/');
            if (ModelVersion.TryParseName(name, out var n)) numbers.Add(n);
        }
        numbers.Sort();
        return numbers;
    }

    public Task<VersionAllocation?> ReadAllocationAsync(ModelVersion version, CancellationToken ct) =>
        ReadJsonAsync<VersionAllocation>(StorageLayout.ModelVersionAllocationBlob(version), ct);

    public Task<ModelManifest?> ReadManifestAsync(ModelVersion version, CancellationToken ct) =>
        ReadJsonAsync<ModelManifest>(StorageLayout.ModelVersionManifestBlob(version), ct);

    /// <summary>Uploads every file under <paramref name="localFolder"/> to the version folder, keeping relative paths
    /// (overwrites: a retried run rewrites the same bytes). Returns the files with their SHA-256 for the manifest.</summary>
    public async Task<IReadOnlyList<ManifestFile>> UploadFolderAsync(
        ModelVersion version, string localFolder, string blobSubfolder, CancellationToken ct)
    {
        var files = new List<ManifestFile>();
        foreach (var path in Directory.EnumerateFiles(localFolder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = Path.GetRelativePath(localFolder, path).Replace('\\', '/');
            var name = blobSubfolder.Length == 0 ? relative : $"{blobSubfolder}/{relative}";
            await Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, name)).UploadAsync(path, overwrite: true, ct);
            files.Add(new ManifestFile(name, new FileInfo(path).Length, await FileHash.Sha256Async(path, ct)));
        }
        return files;
    }

    /// <summary>Uploads the given files (overwriting: a retried run rewrites the same bytes) and returns them with their SHA-256.</summary>
    public async Task<IReadOnlyList<ManifestFile>> UploadFilesAsync(ModelVersion version, IEnumerable<VersionFile> files, CancellationToken ct)
    {
        var written = new List<ManifestFile>();
        foreach (var file in files.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            await Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, file.Name)).UploadAsync(file.LocalPath, overwrite: true, ct);
            written.Add(new ManifestFile(file.Name, new FileInfo(file.LocalPath).Length, await FileHash.Sha256Async(file.LocalPath, ct)));
        }
        return written;
    }

    public async Task UploadBlobAsync(ModelVersion version, string name, BinaryData content, CancellationToken ct) =>
        await Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, name)).UploadAsync(content, overwrite: true, ct);

    /// <summary>A file of the version by its name in the folder ("eval/report.json"), or null when it has none.</summary>
    public Task<BinaryData?> ReadFileAsync(ModelVersion version, string relativeName, CancellationToken ct) =>
        Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, relativeName)).TryDownloadAsync(ct);

    /// <summary>Downloads one file of the version to <paramref name="localPath"/>.</summary>
    public async Task DownloadFileAsync(ModelVersion version, string relativeName, string localPath, CancellationToken ct) =>
        await Models.GetBlobClient(StorageLayout.ModelVersionFileBlob(version, relativeName)).DownloadToAsync(localPath, ct);

    /// <summary>Writes manifest.json, the last blob of a version: a version without one is incomplete.</summary>
    public async Task WriteManifestAsync(ModelVersion version, ModelManifest manifest, CancellationToken ct) =>
        await Models.GetBlobClient(StorageLayout.ModelVersionManifestBlob(version)).UploadAsync(ContractJson.Serialize(manifest), overwrite: true, ct);

    /// <summary>Downloads a complete version's files (everything but allocation and manifest) into <paramref name="localFolder"/>.</summary>
    public async Task DownloadFolderAsync(ModelVersion version, string blobSubfolder, string localFolder, CancellationToken ct)
    {
        var prefix = StorageLayout.ModelVersionPrefix(version) + (blobSubfolder.Length == 0 ? "" : blobSubfolder + "/");
        await foreach (var item in Models.GetBlobsAsync(BlobTraits.None, BlobStates.None, prefix, ct))
        {
            var relative = item.Name[prefix.Length..];
            if (blobSubfolder.Length == 0 && relative is StorageLayout.VersionAllocationFile or StorageLayout.VersionManifestFile) continue;
            var local = Path.Combine(localFolder, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(local)!);
            await Models.GetBlobClient(item.Name).DownloadToAsync(local, ct);
        }
    }

    /// <summary>Every version of the target with its manifest (null while the version is still being written), oldest first.</summary>
    public async Task<IReadOnlyList<VersionEntry>> ListAsync(string target, CancellationToken ct)
    {
        var entries = new List<VersionEntry>();
        foreach (var number in await ListNumbersAsync(target, ct))
        {
            var version = new ModelVersion(target, number);
            entries.Add(new VersionEntry(version.Name, await ReadManifestAsync(version, ct)));
        }
        return entries;
    }

    private async Task<T?> ReadJsonAsync<T>(string name, CancellationToken ct) where T : class
    {
        try
        {
            var content = await Models.GetBlobClient(name).DownloadContentAsync(ct);
            return ContractJson.Deserialize<T>(content.Value.Content, $"{Models.Name}/{name}");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}

/// <summary>A local file and the name it takes inside a version folder.</summary>
public sealed record VersionFile(string LocalPath, string Name);

/// <summary>A version of a target and its manifest; Complete once the manifest (written last) exists.</summary>
public sealed record VersionEntry(string Version, ModelManifest? Manifest)
{
    public bool Complete => Manifest is not null;
}
