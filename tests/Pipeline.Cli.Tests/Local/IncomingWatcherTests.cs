// The local watcher drives the real IngestionService against Azurite: a file that lands becomes a dataset and a
// queued request once; a bad file is quarantined with its report; a file whose ingestion fails is parked without
// stopping the others; nothing in incoming/ is ever removed.
using Azure.Storage.Blobs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Cli.Demo;
using Pipeline.Cli.Local;

namespace Pipeline.Cli.Tests.Local;

[Collection(AzuriteCollection.Name)]
public sealed class IncomingWatcherTests(AzuriteFixture azurite)
{
    private readonly StorageOptions _storage = new() { ConnectionString = azurite.ConnectionString };

    private async Task<BlobContainerClient> IncomingAsync()
    {
        var incoming = _storage.BlobService().GetBlobContainerClient(StorageLayout.Incoming);
        await incoming.CreateIfNotExistsAsync();
        return incoming;
    }

    private IncomingWatcher Watcher(string target) =>
        new(_storage.BlobService(), LocalIngestion.Create(_storage).Service, new WatcherOptions { Target = target, PollInterval = TimeSpan.FromMilliseconds(50) });

    [Fact]
    public async Task Ingests_a_landed_file_once_and_queues_one_request()
    {
        const string target = "watch-accept";
        var incoming = await IncomingAsync();
        await incoming.UploadBlobAsync($"{target}/batch-1.jsonl", BinaryData.FromBytes(SupportAgentData.ToJsonl(SupportAgentData.Generate(1, 40))));
        var watcher = Watcher(target);

        var first = await watcher.ScanOnceAsync();
        var second = await watcher.ScanOnceAsync();

        var result = Assert.Single(first);
        Assert.Equal(IngestOutcome.Accepted, result.Outcome);
        Assert.Equal(40, result.Report!.RowsAccepted);
        Assert.Empty(second);
        var datasets = _storage.BlobService().GetBlobContainerClient(StorageLayout.Datasets);
        Assert.True(await datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(target, result.DatasetId!)).ExistsAsync());
        Assert.True(await datasets.GetBlobClient(StorageLayout.DatasetReportBlob(target, result.DatasetId!)).ExistsAsync());
        Assert.True(await incoming.GetBlobClient($"{target}/batch-1.jsonl").ExistsAsync());

        var queue = _storage.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
        var requests = (await queue.PeekMessagesAsync(32)).Value.Select(m => TrainingRequest.Parse(m.Body.ToString())).Where(r => r.Target == target).ToList();
        var request = Assert.Single(requests);
        Assert.Equal([result.DatasetId!], request.DatasetIds);
    }

    [Fact]
    public async Task A_new_watcher_sees_an_old_file_again_and_ingestion_recognises_the_repeat()
    {
        const string target = "watch-restart";
        var incoming = await IncomingAsync();
        await incoming.UploadBlobAsync($"{target}/a.jsonl", BinaryData.FromBytes(SupportAgentData.ToJsonl(SupportAgentData.Generate(2, 20))));
        var before = Assert.Single(await Watcher(target).ScanOnceAsync());

        var after = Assert.Single(await Watcher(target).ScanOnceAsync());

        Assert.Equal(IngestOutcome.Accepted, before.Outcome);
        Assert.Equal(IngestOutcome.AlreadyIngested, after.Outcome);
        Assert.Equal(before.DatasetId, after.DatasetId);
        Assert.False(after.PublishedNow);
    }

    [Fact]
    public async Task Quarantines_an_unusable_file_with_a_report_naming_the_line_and_keeps_the_original()
    {
        const string target = "watch-bad";
        var incoming = await IncomingAsync();
        await incoming.UploadBlobAsync($"{target}/broken.jsonl", BinaryData.FromString("{\"prompt\": \"p\", \"chosen\": \"same\", \"rejected\": \"same\"}\nnot json\n"));

        var result = Assert.Single(await Watcher(target).RunUntilFirstAsync());

        Assert.Equal(IngestOutcome.Quarantined, result.Outcome);
        Assert.Contains(result.Report!.Rejections, r => r.Line == 2);
        var quarantine = _storage.BlobService().GetBlobContainerClient(StorageLayout.Quarantine);
        Assert.True(await quarantine.GetBlobClient(StorageLayout.QuarantineReportBlob(target, "broken.jsonl")).ExistsAsync());
        Assert.True(await incoming.GetBlobClient($"{target}/broken.jsonl").ExistsAsync());
    }

    [Fact]
    public async Task Leaves_a_file_outside_any_target_folder_in_place_and_says_why()
    {
        var incoming = await IncomingAsync();
        await incoming.UploadBlobAsync("stray.jsonl", BinaryData.FromString("{}"));
        var watcher = new IncomingWatcher(_storage.BlobService(), LocalIngestion.Create(_storage).Service, new WatcherOptions());

        var results = await watcher.ScanOnceAsync();

        var stray = Assert.Single(results, r => r.FileName == "stray.jsonl");
        Assert.Equal(IngestOutcome.InvalidName, stray.Outcome);
        Assert.Contains("not under a target folder", stray.Message);
        Assert.True(await incoming.GetBlobClient("stray.jsonl").ExistsAsync());
    }

    [Fact]
    public async Task A_poisonous_file_does_not_stop_a_good_file_of_another_target_and_is_parked_with_its_reason()
    {
        // Oldest first: the poisonous file (its target's profile is malformed) lands before the good one.
        var poisoned = "watch-poison-" + Guid.NewGuid().ToString("N")[..6];
        var good = "watch-good-" + Guid.NewGuid().ToString("N")[..6];
        var blobs = _storage.BlobService();
        var config = blobs.GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(poisoned)).UploadAsync(BinaryData.FromString("""{ "max_line_bytes": "lots" }"""));
        var incoming = await IncomingAsync();
        await incoming.UploadBlobAsync($"{poisoned}/a.jsonl", BinaryData.FromString(PreferenceFiles.Pairs(10)));
        await Task.Delay(50); // distinct creation times
        await incoming.UploadBlobAsync($"{good}/b.jsonl", BinaryData.FromString(PreferenceFiles.Pairs(10, offset: 100)));
        var watcher = new IncomingWatcher(blobs, LocalIngestion.Create(_storage).Service, new WatcherOptions
        {
            PollInterval = TimeSpan.FromMilliseconds(50),
            Retry = new IngestionRetryOptions { MaxAttempts = 2, FirstDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero },
        });

        var first = await watcher.ScanOnceAsync();
        var waitingAfterFirst = watcher.FilesWaitingToRetry;
        var second = await watcher.ScanOnceAsync();

        Assert.Equal(IngestOutcome.Accepted, Assert.Single(first, r => r.Target == good).Outcome);
        Assert.DoesNotContain(first, r => r.Target == poisoned);
        Assert.Equal(1, waitingAfterFirst);
        var parked = Assert.Single(second, r => r.Target == poisoned);
        Assert.Equal(IngestOutcome.Parked, parked.Outcome);
        Assert.Contains("max_line_bytes", parked.Message);
        var record = await blobs.GetBlobContainerClient(StorageLayout.Quarantine).GetBlobClient(StorageLayout.ParkedBlob(poisoned, "a.jsonl")).DownloadContentAsync();
        Assert.Contains("invalid target profile", record.Value.Content.ToString());
        Assert.True(await incoming.GetBlobClient($"{poisoned}/a.jsonl").ExistsAsync());
        Assert.Equal(0, watcher.FilesWaitingToRetry);
    }

    [Fact]
    public void Rejects_options_with_a_bad_target_name() =>
        Assert.Throws<ArgumentException>(() => new WatcherOptions { Target = "Bad Name" }.Validated());
}

internal static class WatcherTestExtensions
{
    /// <summary>Runs the polling loop until it reports something (or 30 s pass), as the demo and `pipeline watch` do.</summary>
    public static async Task<IReadOnlyList<IngestionResult>> RunUntilFirstAsync(this IncomingWatcher watcher)
    {
        var seen = new List<IngestionResult>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await watcher.RunAsync(r => { seen.Add(r); stop.Cancel(); }, stop.Token);
        return seen;
    }
}
