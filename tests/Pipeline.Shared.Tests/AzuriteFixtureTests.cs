using Azure.Storage.Blobs.Models;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class AzuriteFixtureTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Azurite_answers_blob_and_queue_requests_on_loopback()
    {
        var container = azurite.BlobService().GetBlobContainerClient("fixture-smoke");
        await container.CreateIfNotExistsAsync();
        await container.UploadBlobAsync("hello.txt", BinaryData.FromString("hi"));
        var props = await container.GetBlobClient("hello.txt").GetPropertiesAsync();
        Assert.Equal(2, props.Value.ContentLength);

        var queue = azurite.QueueService().GetQueueClient("fixture-smoke");
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("ping");
        var received = await queue.ReceiveMessageAsync();
        Assert.Equal("ping", received.Value.MessageText);
    }
}
