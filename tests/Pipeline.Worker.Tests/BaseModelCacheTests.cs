using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class BaseModelCacheTests(AzuriteFixture azurite) : IDisposable
{
    private readonly TempDir _cache = new("base-model-cache-");

    public void Dispose() => _cache.Dispose();

    private static async Task UploadTinyLlamaAsync(Azure.Storage.Blobs.BlobServiceClient blobs, string folder)
    {
        var container = blobs.GetBlobContainerClient(StorageLayout.BaseModels);
        await container.CreateIfNotExistsAsync();
        foreach (var file in Directory.GetFiles(RepoPaths.TinyLlama))
            await container.GetBlobClient($"{folder}/{Path.GetFileName(file)}").UploadAsync(file, overwrite: true);
    }

    [Fact]
    public async Task Downloads_a_base_model_once_and_serves_it_from_the_cache_with_the_same_hash()
    {
        var blobs = azurite.BlobService();
        var folder = "tiny-" + Guid.NewGuid().ToString("N")[..8];
        await UploadTinyLlamaAsync(blobs, folder);
        var cache = new BaseModelCache(blobs, _cache.Path, StorageRetry.Create(), NullLogger.Instance);

        var first = await cache.ResolveAsync($"base-models/{folder}", CancellationToken.None);
        var stamp = File.GetLastWriteTimeUtc(Path.Combine(first.LocalPath, "config.json"));
        var second = await cache.ResolveAsync($"base-models/{folder}", CancellationToken.None);

        // The hash of exactly the uploaded files (the fixture folder has subfolders that are not uploaded).
        using var uploaded = new TempDir("uploaded-");
        foreach (var file in Directory.GetFiles(RepoPaths.TinyLlama)) File.Copy(file, uploaded.File(Path.GetFileName(file)));
        Assert.Equal(await FileHash.FolderSha256Async(uploaded.Path, CancellationToken.None), first.Sha256);
        Assert.Equal(first, second);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(Path.Combine(second.LocalPath, "config.json")));
    }

    [Fact]
    public async Task A_cached_copy_that_fails_its_hash_is_downloaded_again()
    {
        var blobs = azurite.BlobService();
        var folder = "tiny-" + Guid.NewGuid().ToString("N")[..8];
        await UploadTinyLlamaAsync(blobs, folder);
        var cache = new BaseModelCache(blobs, _cache.Path, StorageRetry.Create(), NullLogger.Instance);
        var first = await cache.ResolveAsync($"base-models/{folder}", CancellationToken.None);
        await File.WriteAllTextAsync(Path.Combine(first.LocalPath, "config.json"), "{}");

        var again = await cache.ResolveAsync($"base-models/{folder}", CancellationToken.None);

        Assert.Equal(first.Sha256, again.Sha256);
        Assert.Equal(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "config.json")), File.ReadAllText(Path.Combine(again.LocalPath, "config.json")));
    }

    [Fact]
    public async Task A_base_model_that_does_not_exist_is_a_clear_input_error()
    {
        var cache = new BaseModelCache(azurite.BlobService(), _cache.Path, StorageRetry.Create(), NullLogger.Instance);
        await azurite.BlobService().GetBlobContainerClient(StorageLayout.BaseModels).CreateIfNotExistsAsync();

        var e = await Assert.ThrowsAsync<RunInputException>(() => cache.ResolveAsync("base-models/nothing-here", CancellationToken.None));
        var local = await Assert.ThrowsAsync<RunInputException>(() => cache.ResolveAsync("/no/such/folder", CancellationToken.None));

        Assert.Contains("base-models/nothing-here/ is empty or does not exist", e.Message);
        Assert.Contains("/no/such/folder", local.Message);
    }
}
