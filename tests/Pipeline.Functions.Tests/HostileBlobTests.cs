// The blob function class on the worst hostile file of each container, in a child process under a 256 MB managed-heap
// cap (as the Functions host would run it): each file is quarantined with its reason, none takes the host down; and a
// file whose target profile is broken is parked without stopping a good file of another target.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Pipeline.Functions.Ingest;
using Pipeline.Functions.Upload;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Testing.Hostile;

namespace Pipeline.Functions.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class HostileBlobTests(AzuriteFixture azurite) : IDisposable
{
    private readonly FunctionTestHost _host = new(azurite);

    [Fact]
    public async Task The_blob_function_quarantines_each_hostile_file_with_its_reason_within_a_256_mb_heap()
    {
        using var dir = new TempDir();
        var corpus = HostileCorpus.Write(dir.Path).Where(f => HostileCorpus.WorstPerContainer.Contains(f.Name)).ToList();
        var target = FunctionTestHost.NewTarget();
        var blobs = azurite.BlobService();
        foreach (var c in new[] { StorageLayout.Config, StorageLayout.Incoming }) await blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString(HostileCorpus.ProfileJson));
        foreach (var file in corpus)
            await blobs.GetBlobContainerClient(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, file.Name)).UploadAsync(dir.File(file.Name));

        var run = await CappedProcess.RunAssemblyAsync(typeof(Program).Assembly.Location,
            ["ingest-blobs", azurite.ConnectionString, target, .. corpus.Select(f => f.Name)]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var results = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .ToDictionary(r => r.GetProperty("name").GetString()!);
        foreach (var file in corpus)
        {
            var result = results[file.Name];
            Assert.Equal(file.Usable ? "Accepted" : "Quarantined", result.GetProperty("outcome").GetString());
            Assert.Contains(result.GetProperty("codes").EnumerateArray(), c => c.GetString()!.StartsWith(file.Code) && c.GetString()!.Contains(file.MessagePart));
        }
    }

    [Fact]
    public async Task A_file_of_a_target_with_a_broken_profile_is_parked_and_a_good_file_of_another_target_is_ingested()
    {
        var broken = FunctionTestHost.NewTarget();
        var good = FunctionTestHost.NewTarget();
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Config).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(broken))
            .UploadAsync(BinaryData.FromString("""{ "eval_share": 7 """));
        var upload = _host.Get<UploadFileFunction>();
        await upload.Run(Body(PreferenceFiles.Pairs(5)), broken, "a.jsonl", default);
        await upload.Run(Body(PreferenceFiles.Pairs(10, offset: 50)), good, "b.jsonl", default);
        var function = new IngestBlobFunction(_host.Get<IngestionService>(),
            new IngestionRetryOptions { MaxAttempts = 3, FirstDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(20) },
            Microsoft.Extensions.Logging.Abstractions.NullLogger<IngestBlobFunction>.Instance);
        var incoming = blobs.GetBlobContainerClient(StorageLayout.Incoming);

        var parked = await function.Run(incoming.GetBlobClient(StorageLayout.IncomingBlob(broken, "a.jsonl")), broken, "a.jsonl", default);
        var accepted = await function.Run(incoming.GetBlobClient(StorageLayout.IncomingBlob(good, "b.jsonl")), good, "b.jsonl", default);

        Assert.Equal(IngestOutcome.Parked, parked.Outcome);
        Assert.Contains("invalid target profile", parked.Message);
        Assert.Equal(IngestOutcome.Accepted, accepted.Outcome);
        var record = (await blobs.GetBlobContainerClient(StorageLayout.Quarantine).GetBlobClient(StorageLayout.ParkedBlob(broken, "a.jsonl")).DownloadContentAsync()).Value.Content.ToString();
        Assert.Contains("\"attempts\": 3", record);
    }

    [Fact]
    public async Task Upload_answers_413_over_the_target_profiles_max_file_bytes()
    {
        var target = FunctionTestHost.NewTarget();
        var blobs = azurite.BlobService();
        await blobs.GetBlobContainerClient(StorageLayout.Config).CreateIfNotExistsAsync();
        await blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(target))
            .UploadAsync(BinaryData.FromString("""{ "max_file_bytes": 1024 }"""));

        var result = await _host.Get<UploadFileFunction>().Run(Body(PreferenceFiles.Pairs(40)), target, "big.jsonl", default);

        Assert.Equal(StatusCodes.Status413PayloadTooLarge, Assert.IsType<ObjectResult>(result).StatusCode);
    }

    [Theory]
    [InlineData("support-bot\n", "pairs.jsonl")]
    [InlineData("support-b\u043et", "pairs.jsonl")]
    [InlineData("support-bot", "pairs\u202Eldnosj.jsonl")]
    [InlineData("support-bot", "%2e%2e/pairs.jsonl")]
    [InlineData("support-bot", "pairs.jsonl.")]
    public async Task Upload_refuses_look_alike_names_with_400(string target, string name)
    {
        var result = await _host.Get<UploadFileFunction>().Run(Body("{}\n"), target, name, default);
        Assert.IsType<BadRequestObjectResult>(result);
    }

    private static HttpRequest Body(string content)
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(content));
        return request;
    }

    public void Dispose() => _host.Dispose();
}
