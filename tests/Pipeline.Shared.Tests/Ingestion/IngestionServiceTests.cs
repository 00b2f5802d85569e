// The ingestion service end to end against Azurite: datasets, reports, requests, repeats, quarantine, duplicates.
using System.Text;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Ingestion;

[Collection(AzuriteCollection.Name)]
public sealed class IngestionServiceTests(AzuriteFixture azurite)
{
    private static int _targets;

    // Each test uses its own target so tests share one Azurite without seeing each other's datasets.
    private static string NewTarget() => $"t{Interlocked.Increment(ref _targets)}-{Guid.NewGuid():N}"[..20];

    private (IngestionService Service, QueueClient Queue, BlobServiceClient Blobs) Create()
    {
        var options = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var queue = options.QueueService().GetQueueClient("ingest-" + Guid.NewGuid().ToString("N")[..12]);
        var blobs = options.BlobService();
        return (new IngestionService(blobs, new StorageQueuePublisher(queue, StorageRetry.Create())), queue, blobs);
    }

    private static async Task Upload(IngestionService service, string target, string name, string content) =>
        Assert.Equal(UploadOutcome.Created, (await service.UploadAsync(target, name, new MemoryStream(Encoding.UTF8.GetBytes(content)))).Outcome);

    private static async Task<List<TrainingRequest>> Drain(QueueClient queue)
    {
        var list = new List<TrainingRequest>();
        if (!await queue.ExistsAsync()) return list;
        foreach (var m in (await queue.ReceiveMessagesAsync(32)).Value)
            list.Add(TrainingRequest.Parse(m.Body.ToString()));
        return list;
    }

    private static async Task<string> Text(BlobServiceClient blobs, string container, string name) =>
        (await blobs.GetBlobContainerClient(container).GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();

    [Fact]
    public async Task Accepted_file_becomes_a_dataset_with_report_and_one_training_request()
    {
        var (service, queue, blobs) = Create();
        var target = NewTarget();
        await Upload(service, target, "pairs.jsonl", PreferenceFiles.Pairs(50));

        var result = await service.IngestAsync(target, "pairs.jsonl");

        Assert.Equal(IngestOutcome.Accepted, result.Outcome);
        var id = result.DatasetId!;
        var train = await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetTrainBlob(target, id));
        var eval = await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetEvalBlob(target, id));
        Assert.Equal(50, train.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length + eval.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        var report = ValidationReport.FromJson(await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetReportBlob(target, id)));
        Assert.Equal((true, 50L, id), (report.Usable, report.RowsAccepted, report.DatasetId));
        Assert.Contains(id, await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetReportMarkdownBlob(target, id)));
        var request = Assert.Single(await Drain(queue));
        Assert.Equal((TrainingRequest.DeriveId(target, [id], ""), target, id), (request.RequestId, request.Target, request.DatasetIds.Single()));
        Assert.Equal(result.RequestId, request.RequestId);
        Assert.Equal(report, await service.GetReportAsync(target, id) is { } r ? r with { } : null, new ReportComparer());
    }

    [Fact]
    public async Task Same_data_under_another_name_gives_the_same_dataset_and_no_second_request()
    {
        var (service, queue, _) = Create();
        var target = NewTarget();
        await Upload(service, target, "first.jsonl", PreferenceFiles.Pairs(20));
        await Upload(service, target, "renamed-copy.jsonl", PreferenceFiles.Pairs(20));

        var first = await service.IngestAsync(target, "first.jsonl");
        var again = await service.IngestAsync(target, "first.jsonl");
        var renamed = await service.IngestAsync(target, "renamed-copy.jsonl");

        Assert.Equal(IngestOutcome.Accepted, first.Outcome);
        Assert.Equal((IngestOutcome.AlreadyIngested, first.DatasetId, false), (again.Outcome, again.DatasetId, again.PublishedNow));
        Assert.Equal((IngestOutcome.AlreadyIngested, first.DatasetId, first.RequestId), (renamed.Outcome, renamed.DatasetId, renamed.RequestId));
        Assert.Single(await Drain(queue));
    }

    [Fact]
    public async Task Unusable_file_is_quarantined_with_its_report_and_the_original_is_kept()
    {
        var (service, queue, blobs) = Create();
        var target = NewTarget();
        var content = PreferenceFiles.Lines("garbage", "more garbage", PreferenceFiles.Standard("Q?", "A.", "B."));
        await Upload(service, target, "bad.jsonl", content);

        var result = await service.IngestAsync(target, "bad.jsonl");

        Assert.Equal(IngestOutcome.Quarantined, result.Outcome);
        Assert.Contains(ReasonCodes.RejectedShareTooHigh, result.Message);
        Assert.Equal(content, await Text(blobs, StorageLayout.Incoming, StorageLayout.IncomingBlob(target, "bad.jsonl")));
        Assert.Equal(content, await Text(blobs, StorageLayout.Quarantine, StorageLayout.QuarantineBlob(target, "bad.jsonl")));
        var report = ValidationReport.FromJson(await Text(blobs, StorageLayout.Quarantine, StorageLayout.QuarantineReportBlob(target, "bad.jsonl")));
        Assert.False(report.Usable);
        Assert.Equal([1L, 2L], report.Rejections.Select(r => r.Line));
        Assert.Empty(await Drain(queue));
    }

    [Fact]
    public async Task Pairs_from_an_earlier_dataset_of_the_target_are_duplicates()
    {
        var (service, queue, _) = Create();
        var target = NewTarget();
        await Upload(service, target, "one.jsonl", PreferenceFiles.Pairs(20));
        await Upload(service, target, "two.jsonl", PreferenceFiles.Pairs(24, offset: 16)); // rows 16..19 repeat, 20..39 are new

        var one = await service.IngestAsync(target, "one.jsonl");
        var two = await service.IngestAsync(target, "two.jsonl");

        Assert.Equal(IngestOutcome.Accepted, two.Outcome);
        Assert.NotEqual(one.DatasetId, two.DatasetId);
        Assert.Equal((20L, 4L), (two.Report!.RowsAccepted, two.Report.Reasons[ReasonCodes.DuplicatePair]));
        Assert.Equal(2, (await Drain(queue)).Count);

        // The second file again: recognised as a repeat although all its rows are now known.
        var repeat = await service.IngestAsync(target, "two.jsonl");
        Assert.Equal((IngestOutcome.AlreadyIngested, two.DatasetId), (repeat.Outcome, repeat.DatasetId));
    }

    [Fact]
    public async Task Pair_index_holds_the_xxhash128_of_every_stored_line_and_is_rebuilt_under_the_same_name()
    {
        var (service, _, blobs) = Create();
        var target = NewTarget();
        await Upload(service, target, "one.jsonl", PreferenceFiles.Pairs(20));
        var id = (await service.IngestAsync(target, "one.jsonl")).DatasetId!;
        var datasets = blobs.GetBlobContainerClient(StorageLayout.Datasets);
        var lines = (await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetTrainBlob(target, id)) +
                     await Text(blobs, StorageLayout.Datasets, StorageLayout.DatasetEvalBlob(target, id))).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var expected = lines.Select(l => System.IO.Hashing.XxHash128.HashToUInt128(Encoding.UTF8.GetBytes(l))).ToHashSet();

        async Task<HashSet<UInt128>> Stored()
        {
            var set = new HashSet<UInt128>();
            PairIndex.Decode((await datasets.GetBlobClient($"{target}/_pairs/{id}.xxh128.bin").DownloadContentAsync()).Value.Content.ToArray(), set);
            return set;
        }

        Assert.Equal(20, expected.Count);
        Assert.True(expected.SetEquals(await Stored()));
        // A crash lost the index: the repeat of the file rebuilds it from the stored lines, same name, same hashes.
        await datasets.DeleteBlobAsync($"{target}/_pairs/{id}.xxh128.bin");
        Assert.Equal(IngestOutcome.AlreadyIngested, (await service.IngestAsync(target, "one.jsonl")).Outcome);
        Assert.True(expected.SetEquals(await Stored()));
    }

    [Fact]
    public async Task Pair_index_blobs_of_the_old_sha256_format_are_not_read()
    {
        var (service, _, blobs) = Create();
        var datasets = blobs.GetBlobContainerClient(StorageLayout.Datasets);
        await datasets.CreateIfNotExistsAsync();
        // Index blobs holding the current hashes of every row of the file: under the old format's name
        // (…/{datasetId}.bin) they must be ignored, under the current one they make every row a duplicate.
        var index = BinaryData.FromBytes(PairIndex.Encode((await PreferenceFiles.Validate(PreferenceFiles.Pairs(10))).PairHashes));
        var (old, current) = (NewTarget(), NewTarget());
        await datasets.GetBlobClient(StorageLayout.PairIndexPrefix(old) + "ds-0123456789abcdef.bin").UploadAsync(index);
        await datasets.GetBlobClient(StorageLayout.PairIndexBlob(current, "ds-0123456789abcdef")).UploadAsync(index);
        await Upload(service, old, "f.jsonl", PreferenceFiles.Pairs(10));
        await Upload(service, current, "f.jsonl", PreferenceFiles.Pairs(10));

        var ignored = await service.IngestAsync(old, "f.jsonl");
        var read = await service.IngestAsync(current, "f.jsonl");

        Assert.Equal((IngestOutcome.Accepted, 10L), (ignored.Outcome, ignored.Report!.RowsAccepted));
        Assert.Equal(10L, read.Report!.Reasons[ReasonCodes.DuplicatePair]);
    }

    [Fact]
    public async Task Target_profile_from_config_sets_limits_and_is_hashed_into_the_request_id()
    {
        var (service, queue, blobs) = Create();
        var target = NewTarget();
        var config = blobs.GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString("""{ "min_rows": 100 }"""));
        await Upload(service, target, "small.jsonl", PreferenceFiles.Pairs(10));

        var result = await service.IngestAsync(target, "small.jsonl");
        Assert.Equal(IngestOutcome.Quarantined, result.Outcome);
        Assert.Contains(ReasonCodes.TooFewRows, result.Message);

        await config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString("""{ "min_rows": 5 }"""), overwrite: true);
        var ok = await service.IngestAsync(target, "small.jsonl");
        Assert.Equal(IngestOutcome.Accepted, ok.Outcome);
        Assert.NotEqual(TrainingRequest.DeriveId(target, [ok.DatasetId!], ""), ok.RequestId);
        Assert.Single(await Drain(queue));
    }

    [Fact]
    public async Task Broken_target_profile_fails_loudly_naming_the_blob_and_key()
    {
        var (service, _, blobs) = Create();
        var target = NewTarget();
        await Upload(service, target, "f.jsonl", PreferenceFiles.Pairs(3));
        var config = blobs.GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString("""{ "min_rowz": 1 }"""));

        var e = await Assert.ThrowsAsync<FormatException>(() => service.IngestAsync(target, "f.jsonl"));
        Assert.Contains($"config/targets/{target}.json", e.Message);
        Assert.Contains("min_rowz", e.Message);
        // An upload is still stored (checked against the default size limit): ingestion parks it until the profile is fixed.
        var upload = await service.UploadAsync(target, "g.jsonl", new MemoryStream("{}"u8.ToArray()));
        Assert.Equal(UploadOutcome.Created, upload.Outcome);
    }

    [Fact]
    public async Task Invalid_names_are_refused_before_anything_is_read_or_written()
    {
        var (service, _, _) = Create();
        Assert.Equal(IngestOutcome.InvalidName, (await service.IngestAsync("Bad_Target", "f.jsonl")).Outcome);
        Assert.Equal(IngestOutcome.InvalidName, (await service.IngestAsync("ok", "../../datasets/x.jsonl")).Outcome);
        Assert.Equal(UploadOutcome.InvalidName, (await service.UploadAsync("ok", "/abs.jsonl", new MemoryStream())).Outcome);
    }

    [Fact]
    public async Task Upload_never_replaces_an_existing_incoming_file()
    {
        var (service, _, blobs) = Create();
        var target = NewTarget();
        await Upload(service, target, "f.jsonl", PreferenceFiles.Pairs(2));

        var same = await service.UploadAsync(target, "f.jsonl", new MemoryStream(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(2))));
        var different = await service.UploadAsync(target, "f.jsonl", new MemoryStream(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(3))));

        Assert.Equal(UploadOutcome.AlreadyExists, same.Outcome);
        Assert.Equal(UploadOutcome.Conflict, different.Outcome);
        Assert.Equal(PreferenceFiles.Pairs(2), await Text(blobs, StorageLayout.Incoming, StorageLayout.IncomingBlob(target, "f.jsonl")));
    }

    [Fact]
    public async Task Republishes_with_the_same_request_id_when_a_crash_lost_the_marker()
    {
        var (service, queue, blobs) = Create();
        var target = NewTarget();
        await Upload(service, target, "f.jsonl", PreferenceFiles.Pairs(10));
        var first = await service.IngestAsync(target, "f.jsonl");
        // Simulate a crash after publishing and before the marker was written.
        await blobs.GetBlobContainerClient(StorageLayout.Datasets).DeleteBlobAsync(StorageLayout.DatasetRequestMarkerBlob(target, first.DatasetId!));

        var again = await service.IngestAsync(target, "f.jsonl");

        Assert.True(again.PublishedNow);
        var requests = await Drain(queue);
        Assert.Equal(2, requests.Count);
        Assert.All(requests, r => Assert.Equal(first.RequestId, r.RequestId));
    }

    /// <summary>Reports compare by their JSON (records with collections compare by reference).</summary>
    private sealed class ReportComparer : IEqualityComparer<ValidationReport?>
    {
        public bool Equals(ValidationReport? x, ValidationReport? y) => x?.ToJson() == y?.ToJson();
        public int GetHashCode(ValidationReport? obj) => obj?.ToJson().GetHashCode() ?? 0;
    }
}
