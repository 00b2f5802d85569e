// Bursts through the real pieces on Azurite: two files ingested a moment apart, one in-process worker with a debounce
// window in the profile -> one run and one version over both datasets; the second request is acknowledged without work.
using Pipeline.Cli.Demo;
using Pipeline.Cli.Local;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests.Demo;

[Collection(AzuriteCollection.Name)]
public sealed class BurstEndToEndTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Two_files_landing_within_the_debounce_window_are_trained_in_one_run()
    {
        const string target = "burst-e2e";
        using var dir = new TempDir("burst-e2e-");
        var state = new DemoState(dir.Path);
        state.Prepare(reuse: false);
        var storage = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var blobs = storage.BlobService();
        foreach (var c in StorageLayout.Containers) await blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        var options = new DemoOptions
        {
            RepoRoot = RepoPaths.Root, StateDir = state.Root, ConnectionString = azurite.ConnectionString, Target = target,
            PairsPerFile = 30, Size = DemoTrainingSize.Test with { MaxSteps = 6 }, Device = "cpu",
            WarmUp = WarmUpOptions.Default with { Pairs = 60, Steps = 4 }, // any model will do: this test is about the burst
        };
        var setup = new DemoSetup(options, state, blobs);
        await setup.EnsureBaseModelAsync(CancellationToken.None);
        var profile = setup.Profile();
        profile = profile with { Training = profile.Training with { DebounceSeconds = 4 } };
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(target))
            .UploadAsync(BinaryData.FromString(profile.ToJson()), overwrite: true);

        // Both files are ingested (and their requests queued) before the worker starts: the first request it takes
        // waits out the window, then trains both datasets.
        await using var local = LocalIngestion.Create(storage);
        var ingestion = local.Service;
        var ids = new List<string>();
        foreach (var file in setup.WriteDataFiles().Take(2))
        {
            await using (var content = File.OpenRead(file.LocalPath)) await ingestion.UploadAsync(target, file.Name, content);
            var result = await ingestion.IngestAsync(target, file.Name);
            Assert.Equal(IngestOutcome.Accepted, result.Outcome);
            ids.Add(result.DatasetId!);
        }
        var progress = new RecordingProgress();
        await using (var worker = await DemoWorker.StartAsync(storage, options, state, progress, CancellationToken.None))
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
            while (await worker.PollAsync(target, ids[1], timeout.Token) is null) await Task.Delay(250, timeout.Token);
            // Give the worker time to take the second request and settle it.
            var queue = storage.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
            while ((await queue.GetPropertiesAsync(timeout.Token)).Value.ApproximateMessagesCount > 0) await Task.Delay(250, timeout.Token);
            await Task.Delay(1500, timeout.Token);
        }

        var store = new ModelVersionStore(blobs);
        Assert.Equal([1], await store.ListNumbersAsync(target, CancellationToken.None));
        var manifest = await store.ReadManifestAsync(new ModelVersion(target, 1), CancellationToken.None);
        Assert.Equal(ids, manifest!.DatasetIds);
        var runs = new List<string>();
        await foreach (var item in blobs.GetBlobContainerClient(StorageLayout.Runs).GetBlobsByHierarchyAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "/", target + "/", CancellationToken.None))
            if (item.IsPrefix) runs.Add(item.Prefix);
        Assert.Single(runs);
    }
}
