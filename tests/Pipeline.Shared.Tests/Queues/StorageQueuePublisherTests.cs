// The storage-queue publisher against Azurite: base64 JSON bodies that parse back to the same request.
using System.Text;
using Azure.Storage.Queues;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Queues;

[Collection(AzuriteCollection.Name)]
public sealed class StorageQueuePublisherTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Publishes_request_as_base64_json_creating_the_queue_on_first_use()
    {
        var options = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var publisher = new StorageQueuePublisher(options.QueueService().GetQueueClient("publisher-test"), StorageRetry.Create());
        var request = new TrainingRequest { RequestId = TrainingRequest.DeriveId("bot", ["ds-1"], ""), Target = "bot", DatasetIds = ["ds-1"] };

        await publisher.PublishAsync(request);

        var raw = new QueueClient(azurite.ConnectionString, "publisher-test");
        var message = (await raw.ReceiveMessageAsync()).Value;
        var body = Encoding.UTF8.GetString(Convert.FromBase64String(message.MessageText));
        var parsed = TrainingRequest.Parse(body);
        Assert.Equal((request.RequestId, "bot", "ds-1"), (parsed.RequestId, parsed.Target, parsed.DatasetIds[0]));
    }
}
