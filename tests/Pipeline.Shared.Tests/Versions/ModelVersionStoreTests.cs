using Pipeline.Testing;
using Pipeline.Shared.Versions;

namespace Pipeline.Shared.Tests.Versions;

[Collection(AzuriteCollection.Name)]
public sealed class ModelVersionStoreTests(AzuriteFixture azurite)
{
    private async Task<ModelVersionStore> NewStoreAsync()
    {
        var container = azurite.BlobService().GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateAsync();
        return new ModelVersionStore(container);
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
            .Select(i => Task.Run(() => store.AllocateAsync("agent", For($"run-{i}"), CancellationToken.None))));

        Assert.Equal(Enumerable.Range(1, 8), versions.Select(v => v.Number).Order());
        Assert.Equal(Enumerable.Range(1, 8), await store.ListNumbersAsync("agent", CancellationToken.None));
    }

    [Fact]
    public async Task A_run_that_allocates_again_gets_its_own_number_back()
    {
        var store = await NewStoreAsync();
        var first = await store.AllocateAsync("agent", For("run-a"), CancellationToken.None);
        await store.AllocateAsync("agent", For("run-b"), CancellationToken.None);

        var again = await store.AllocateAsync("agent", For("run-a"), CancellationToken.None);

        Assert.Equal(first, again);
        Assert.Equal("v0001", again.Name);
        Assert.Equal([1, 2], await store.ListNumbersAsync("agent", CancellationToken.None));
    }

    [Fact]
    public async Task Uploaded_files_are_listed_with_their_hashes_and_download_back_identical()
    {
        var store = await NewStoreAsync();
        var version = await store.AllocateAsync("agent", For("run-a"), CancellationToken.None);
        var source = Directory.CreateTempSubdirectory().FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "config.json"), "{\"a\":1}");
        Directory.CreateDirectory(Path.Combine(source, "sub"));
        await File.WriteAllBytesAsync(Path.Combine(source, "sub", "w.bin"), [1, 2, 3]);

        var files = await store.UploadFolderAsync(version, source, "", CancellationToken.None);
        var target = Directory.CreateTempSubdirectory().FullName;
        await store.DownloadFolderAsync(version, "", target, CancellationToken.None);

        Assert.Equal(["config.json", "sub/w.bin"], files.Select(f => f.Path));
        Assert.Equal(await FileHash.FolderSha256Async(source, CancellationToken.None),
            await FileHash.FolderSha256Async(target, CancellationToken.None));
        Assert.Equal("039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81", files[1].Sha256); // sha256 of 01 02 03
    }
}
