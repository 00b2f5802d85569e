// What one file can and cannot do to ingestion, against Azurite: it cannot replace another file's quarantine report,
// cannot be bigger than its target allows, and a failure that is not its data (a broken profile) parks it with the reason.
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Ingestion;

[Collection(AzuriteCollection.Name)]
public sealed class IngestionIsolationTests(AzuriteFixture azurite)
{
    private readonly string _target = "iso-" + Guid.NewGuid().ToString("N")[..10];
    private static readonly IngestionRetryOptions NoWait = new() { MaxAttempts = 2, FirstDelay = TimeSpan.Zero, MaxDelay = TimeSpan.Zero };

    private (IngestionService Service, BlobServiceClient Blobs) Create()
    {
        var options = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var queue = options.QueueService().GetQueueClient("iso-" + Guid.NewGuid().ToString("N")[..12]);
        return (new IngestionService(options.BlobService(), new StorageQueuePublisher(queue, StorageRetry.Create())), options.BlobService());
    }

    private static Task<UploadResult> Upload(IngestionService service, string target, string name, string content) =>
        service.UploadAsync(target, name, new MemoryStream(Encoding.UTF8.GetBytes(content)));

    private static async Task<string> Text(BlobServiceClient blobs, string container, string name) =>
        (await blobs.GetBlobContainerClient(container).GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();

    private async Task PutProfileAsync(BlobServiceClient blobs, string json)
    {
        var config = blobs.GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(_target)).UploadAsync(BinaryData.FromString(json), overwrite: true);
    }

    [Fact]
    public async Task An_upload_named_like_a_report_cannot_replace_the_quarantine_report_of_another_file()
    {
        var (service, blobs) = Create();
        await Upload(service, _target, "bad.jsonl", "not json\n");
        Assert.Equal(IngestOutcome.Quarantined, (await service.IngestAsync(_target, "bad.jsonl")).Outcome);
        var forged = new ValidationReport { File = "bad.jsonl", Usable = true, FileProblems = [] }.ToJson();

        await Upload(service, _target, "bad.jsonl.report.json", forged);
        var second = await service.IngestAsync(_target, "bad.jsonl.report.json");

        Assert.Equal(IngestOutcome.Quarantined, second.Outcome);
        Assert.Equal(ReasonCodes.MalformedJson, Assert.Single(second.Report!.FileProblems).Code); // a .json file that is not an array
        var report = ValidationReport.FromJson(await Text(blobs, StorageLayout.Quarantine, StorageLayout.QuarantineReportBlob(_target, "bad.jsonl")));
        Assert.False(report.Usable);
        Assert.Equal("bad.jsonl", report.File);
        Assert.StartsWith(StorageLayout.QuarantineReportsPrefix, StorageLayout.QuarantineReportBlob(_target, "bad.jsonl"));
        // The forged file is kept as quarantined evidence under its own name, beside its own report.
        Assert.Equal(forged, await Text(blobs, StorageLayout.Quarantine, StorageLayout.QuarantineBlob(_target, "bad.jsonl.report.json")));
    }

    [Fact]
    public async Task Quarantine_writes_are_create_only_so_a_repeat_keeps_the_first_report()
    {
        var (service, blobs) = Create();
        await Upload(service, _target, "bad.jsonl", "not json\n");
        await service.IngestAsync(_target, "bad.jsonl");
        var blob = blobs.GetBlobContainerClient(StorageLayout.Quarantine).GetBlobClient(StorageLayout.QuarantineReportBlob(_target, "bad.jsonl"));
        var first = (await blob.GetPropertiesAsync()).Value.ETag;

        Assert.Equal(IngestOutcome.Quarantined, (await service.IngestAsync(_target, "bad.jsonl")).Outcome);

        Assert.Equal(first, (await blob.GetPropertiesAsync()).Value.ETag);
    }

    [Fact]
    public async Task Upload_refuses_a_file_over_the_target_profiles_max_file_bytes()
    {
        var (service, blobs) = Create();
        await PutProfileAsync(blobs, """{ "max_file_bytes": 2048 }""");

        var big = await Upload(service, _target, "big.jsonl", PreferenceFiles.Pairs(60));
        var small = await Upload(service, _target, "small.jsonl", PreferenceFiles.Pairs(5));
        var unseekable = await service.UploadAsync(_target, "stream.jsonl", new NonSeekable(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(60))));

        Assert.Equal(UploadOutcome.TooLarge, big.Outcome);
        Assert.Contains("2048", big.Message);
        Assert.Equal(UploadOutcome.Created, small.Outcome);
        Assert.Equal(UploadOutcome.TooLarge, unseekable.Outcome);
        Assert.False(await blobs.GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(_target, "big.jsonl")).ExistsAsync());
    }

    [Fact]
    public async Task A_broken_target_profile_is_retried_then_parks_the_file_with_its_reason_and_keeps_the_original()
    {
        var (service, blobs) = Create();
        await PutProfileAsync(blobs, """{ "min_rowz": 1 }""");
        await Upload(service, _target, "f.jsonl", PreferenceFiles.Pairs(3));

        var result = await service.IngestOrParkAsync(_target, "f.jsonl", NoWait);

        Assert.Equal(IngestOutcome.Parked, result.Outcome);
        Assert.Contains("min_rowz", result.Message);
        var parked = JsonDocument.Parse(await Text(blobs, StorageLayout.Quarantine, StorageLayout.ParkedBlob(_target, "f.jsonl"))).RootElement;
        Assert.Contains("invalid target profile", parked.GetProperty("reason").GetString());
        Assert.Equal(2, parked.GetProperty("attempts").GetInt32());
        Assert.True(await blobs.GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(_target, "f.jsonl")).ExistsAsync());

        // Once the profile is fixed, the same file goes through.
        await PutProfileAsync(blobs, """{ "min_rows": 1 }""");
        Assert.Equal(IngestOutcome.Accepted, (await service.IngestOrParkAsync(_target, "f.jsonl", NoWait)).Outcome);
    }

    private sealed class NonSeekable(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
