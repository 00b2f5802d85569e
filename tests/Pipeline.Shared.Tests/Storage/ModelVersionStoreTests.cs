using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class ModelVersionStoreTests(AzuriteFixture azurite)
{
    // Each test has a target of its own in the shared models container.
    private readonly string _target = "agent-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<ModelVersionStore> NewStoreAsync()
    {
        await azurite.BlobService().GetBlobContainerClient(StorageLayout.Models).CreateIfNotExistsAsync();
        return new ModelVersionStore(azurite.BlobService());
    }

    private static VersionAllocation For(string runId) => new()
    {
        RunId = runId, RequestId = "req-" + runId, WorkerId = "test", AllocatedAt = DateTimeOffset.UtcNow,
    };

    [Fact]
    public async Task Eight_runs_allocating_at_once_get_eight_different_numbers()
    {
        var store = await NewStoreAsync();

        var versions = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => Task.Run(() => store.AllocateAsync(_target, For($"run-{i}"), CancellationToken.None))));

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Number).Order());
        Assert.Equal(Enumerable.Range(1, 8), await store.ListNumbersAsync(_target, CancellationToken.None));
    }

    [Fact]
    public async Task A_run_that_allocates_again_gets_its_own_number_back()
    {
        var store = await NewStoreAsync();
        var first = await store.AllocateAsync(_target, For("run-a"), CancellationToken.None);
        await store.AllocateAsync(_target, For("run-b"), CancellationToken.None);

        var again = await store.AllocateAsync(_target, For("run-a"), CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Equal("v0001", again.Name);
        Assert.Equal([1, 2], await store.ListNumbersAsync(_target, CancellationToken.None));
    }

    [Fact]
    public async Task Uploaded_files_are_listed_with_their_hashes_and_download_back_identical()
    {
        var store = await NewStoreAsync();
        var version = await store.AllocateAsync(_target, For("run-a"), CancellationToken.None);
        using var source = new TempDir("version-upload-");
        await File.WriteAllTextAsync(source.File("config.json"), "{\"a\":1}");
        Directory.CreateDirectory(source.File("sub"));
        await File.WriteAllBytesAsync(Path.Combine(source.Path, "sub", "w.bin"), [1, 2, 3]);

        var files = await store.UploadFolderAsync(version, source.Path, "", CancellationToken.None);
        using var target = new TempDir("version-download-");
        await store.DownloadFolderAsync(version, "", target.Path, CancellationToken.None);

        Assert.Equal(["config.json", "sub/w.bin"], files.Select(f => f.Path));
        Assert.Equal(await FileHash.FolderSha256Async(source.Path, CancellationToken.None),
            await FileHash.FolderSha256Async(target.Path, CancellationToken.None));
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", files[1].Sha256); // sha256 of 01 02 03
    }
}
