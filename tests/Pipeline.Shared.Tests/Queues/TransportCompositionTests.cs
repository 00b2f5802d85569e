// End to end through the composition extension: what is published is what the worker receives, on either transport.
using Azure.Storage.Queues;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Shared.Queues;
using Pipeline.Testing;
using Pipeline.Testing.ServiceBus;

namespace Pipeline.Shared.Tests.Queues;

[Collection(AzuriteCollection.Name)]
public sealed class TransportCompositionTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_configured_storage_queue_consumer_receives_what_ingestion_publishes()
    {
        var queueName = "tr-" + Guid.NewGuid().ToString("N")[..12];
        await using var provider = QueueOptionsTests.Provider(new()
        {
            ["Queue:ConnectionString"] = azurite.ConnectionString,
            ["Queue:QueueName"] = queueName,
        });
        var sent = StorageQueueConsumerTests.NewRequest();
        var ingestion = new QueueClient(azurite.ConnectionString, queueName, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        await ingestion.CreateIfNotExistsAsync();
        await ingestion.SendMessageAsync(sent.ToJson());

        var received = await provider.GetRequiredService<ITrainingRequestConsumer>().ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(sent.RequestId, received?.Request.RequestId);
        await received!.CompleteAsync();
    }

    [Fact]
    public async Task The_configured_service_bus_publisher_and_consumer_carry_a_request_end_to_end()
    {
        using var broker = new ServiceBusTestBroker();
        broker.CreateQueue("training-requests");
        await using var provider = QueueOptionsTests.Provider(new()
        {
            ["Queue:Transport"] = "ServiceBus",
            ["Queue:ConnectionString"] = broker.ConnectionString,
        });
        var sent = StorageQueueConsumerTests.NewRequest();

        await provider.GetRequiredService<ITrainingRequestPublisher>().PublishAsync(sent);
        var received = await provider.GetRequiredService<ITrainingRequestConsumer>().ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(sent.RequestId, received?.MessageId);
        Assert.Equal(sent.DatasetIds, received!.Request.DatasetIds);
        await received.CompleteAsync();
        Assert.Equal(1, broker.Queue("training-requests").CompletedCount);
    }
}
