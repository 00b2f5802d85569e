// Storage layout names, conditional writes against Azurite, and the transient-fault retry pipeline.
using Azure;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class StorageTests(AzuriteFixture azurite)
{
    [Fact]
    public void Layout_puts_dataset_files_under_target_and_dataset_id()
    {
        Assert.Equal("bot/ds-0123456789abcdef/train.jsonl", StorageLayout.DatasetTrainBlob("bot", "ds-0123456789abcdef"));
        Assert.Equal("targets/bot.json", StorageLayout.TargetProfileBlob("bot"));
        Assert.Equal("bot/v0007/", StorageLayout.ModelVersionPrefix("bot", 7));
        Assert.Equal(("bot", "sub/f.jsonl"), StorageLayout.ParseIncoming("bot/sub/f.jsonl"));
    }

    [Theory]
    [InlineData("Bot", "f.jsonl")]
    [InlineData("bot", "../f.jsonl")]
    [InlineData("bot", "/f.jsonl")]
    public void Layout_refuses_names_that_escape_their_prefix(string target, string name) =>
        Assert.Throws<ArgumentException>(() => StorageLayout.IncomingBlob(target, name));

    [Fact]
    public async Task Create_only_write_has_one_winner_and_keeps_the_first_content()
    {
        var container = azurite.BlobService().GetBlobContainerClient("storage-create-only");
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient("marker.json");

        Assert.True(await blob.TryCreateAsync(BinaryData.FromString("first"), "text/plain", default));
        Assert.False(await blob.TryCreateAsync(BinaryData.FromString("second"), "text/plain", default));
        Assert.Equal("first", (await blob.TryDownloadAsync(default))!.ToString());
        Assert.Null(await container.GetBlobClient("absent").TryDownloadAsync(default));
    }

    [Fact]
    public async Task Replace_with_a_stale_etag_is_refused()
    {
        var container = azurite.BlobService().GetBlobContainerClient("storage-if-match");
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient("pointer.json");
        await blob.UploadAsync(BinaryData.FromString("v1"), overwrite: true);
        var etag = (await blob.GetPropertiesAsync()).Value.ETag;

        Assert.True(await blob.TryReplaceAsync(BinaryData.FromString("v2"), etag, "text/plain", default));
        Assert.False(await blob.TryReplaceAsync(BinaryData.FromString("v3"), etag, "text/plain", default));
        Assert.Equal("v2", (await blob.TryDownloadAsync(default))!.ToString());
    }

    [Fact]
    public async Task Retry_pipeline_retries_transient_faults_and_not_client_errors()
    {
        var retry = StorageRetry.Create(maxRetryAttempts: 3, baseDelay: TimeSpan.FromMilliseconds(1));
        var calls = 0;
        var result = await retry.ExecuteAsync(_ => ++calls < 3 ? throw new RequestFailedException(503, "busy") : ValueTask.FromResult(calls));
        Assert.Equal(3, result);

        calls = 0;
        await Assert.ThrowsAsync<RequestFailedException>(async () =>
            await retry.ExecuteAsync<int>(_ => { calls++; throw new RequestFailedException(404, "gone"); }));
        Assert.Equal(1, calls);
    }

    [Fact]
    public void Storage_options_reject_a_malformed_connection_string_at_start()
    {
        var e = Assert.Throws<ArgumentException>(() => new StorageOptions { ConnectionString = "not a connection string" }.Validated());
        Assert.Contains(StorageOptions.EnvironmentVariable, e.Message);
        Assert.Equal(azurite.ConnectionString, new StorageOptions { ConnectionString = azurite.ConnectionString }.Validated().ConnectionString);
    }
}
