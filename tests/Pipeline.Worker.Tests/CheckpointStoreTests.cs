using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class CheckpointStoreTests(AzuriteFixture azurite) : IDisposable
{
    private readonly TempDir _dir = new("checkpoint-store-");
    private int _folders;

    public void Dispose() => _dir.Dispose();

    /// <summary>A fresh empty folder under this test's temp folder.</summary>
    private string NewFolder() => Directory.CreateDirectory(_dir.File($"folder-{++_folders}")).FullName;

    private async Task<(CheckpointStore Store, Azure.Storage.Blobs.BlobContainerClient Runs)> NewStoreAsync()
    {
        var runs = azurite.BlobService().GetBlobContainerClient("runs-" + Guid.NewGuid().ToString("N")[..12]);
        await runs.CreateAsync();
        return (new CheckpointStore(runs, "agent", "run-1", StorageRetry.Create(), NullLogger.Instance), runs);
    }

    private string LocalCheckpoint(int step)
    {
        var dir = NewFolder();
        File.WriteAllBytes(Path.Combine(dir, "weights.dat"), Enumerable.Range(0, 1000).Select(i => (byte)(i * step)).ToArray());
        File.WriteAllText(Path.Combine(dir, "trainer_state.json"), $"{{\"GlobalStep\":{step}}}");
        return dir;
    }

    private static string Name(int step) => $"checkpoint-{step:D6}";

    [Fact]
    public async Task Every_blob_of_an_uploaded_checkpoint_marker_included_carries_the_lifecycle_tag()
    {
        var (store, runs) = await NewStoreAsync();
        await store.UploadAsync(LocalCheckpoint(2), 2, CancellationToken.None);
        await store.UploadAsync(LocalCheckpoint(2), 2, CancellationToken.None); // an upload repeated after a crash keeps it too

        var blobs = new List<string>();
        await foreach (var blob in runs.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = StorageLayout.RunCheckpointPrefix("agent", "run-1", 2) }))
            blobs.Add(blob.Name);

        Assert.Equal(3, blobs.Count); // weights.dat, trainer_state.json, the marker
        foreach (var name in blobs)
        {
            var tags = (await runs.GetBlobClient(name).GetTagsAsync()).Value.Tags;
            Assert.Equal(CheckpointStore.LifecycleTagValue, Assert.Contains(CheckpointStore.LifecycleTagName, tags));
        }
    }

    [Fact]
    public async Task Restores_the_newest_complete_checkpoint_byte_for_byte()
    {
        var (store, _) = await NewStoreAsync();
        await store.UploadAsync(LocalCheckpoint(2), 2, CancellationToken.None);
        var newest = LocalCheckpoint(4);
        await store.UploadAsync(newest, 4, CancellationToken.None);
        var root = NewFolder();

        var restored = await store.RestoreNewestAsync(root, Name, CancellationToken.None);

        Assert.Equal(4, restored!.Step);
        Assert.Equal(Path.Combine(root, "checkpoint-000004"), restored.LocalPath);
        Assert.Equal(File.ReadAllBytes(Path.Combine(newest, "weights.dat")), File.ReadAllBytes(Path.Combine(restored.LocalPath, "weights.dat")));
    }

    [Fact]
    public async Task Skips_a_half_written_checkpoint_that_has_no_completion_marker()
    {
        var (store, runs) = await NewStoreAsync();
        await store.UploadAsync(LocalCheckpoint(2), 2, CancellationToken.None);
        // A worker died while uploading step 4: its weights are there, its marker is not.
        await runs.UploadBlobAsync(StorageLayout.RunCheckpointPrefix("agent", "run-1", 4) + "weights.dat", BinaryData.FromBytes(new byte[10]));

        var restored = await store.RestoreNewestAsync(NewFolder(), Name, CancellationToken.None);

        Assert.Equal([2], await store.CompleteStepsAsync(CancellationToken.None));
        Assert.Equal(2, restored!.Step);
    }

    [Fact]
    public async Task Skips_a_corrupted_checkpoint_for_the_previous_complete_one()
    {
        var (store, runs) = await NewStoreAsync();
        await store.UploadAsync(LocalCheckpoint(2), 2, CancellationToken.None);
        await store.UploadAsync(LocalCheckpoint(4), 4, CancellationToken.None);
        // One flipped byte in the newest weights, same length.
        var blob = runs.GetBlobClient(StorageLayout.RunCheckpointPrefix("agent", "run-1", 4) + "weights.dat");
        var bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        bytes[500] ^= 0xFF;
        await blob.UploadAsync(BinaryData.FromBytes(bytes), overwrite: true);
        var root = NewFolder();

        var restored = await store.RestoreNewestAsync(root, Name, CancellationToken.None);

        Assert.Equal(2, restored!.Step);
        Assert.False(Directory.Exists(Path.Combine(root, "checkpoint-000004")));
    }

    [Fact]
    public async Task Finds_nothing_to_restore_for_a_new_run()
    {
        var (store, _) = await NewStoreAsync();
        Assert.Null(await store.RestoreNewestAsync(NewFolder(), Name, CancellationToken.None));
    }
}
