using Azure.Messaging.ServiceBus;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues.ServiceBus;
using Pipeline.Testing;
using Pipeline.Testing.ServiceBus;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class ServiceBusWorkerTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_request_over_service_bus_becomes_a_version_and_a_bad_one_is_dead_lettered_with_its_reason()
    {
        using var broker = new ServiceBusTestBroker(lockDuration: TimeSpan.FromSeconds(5));
        using var bed = new WorkerTestBed(azurite);
        var queue = broker.CreateQueue(bed.QueueName);
        var good = await bed.ArrangeAsync();
        var missing = bed.Request("ds-missing");
        await using (var client = new ServiceBusClient(broker.ConnectionString))
        await using (var publisher = new ServiceBusTrainingRequestPublisher(client.CreateSender(bed.QueueName)))
        {
            await publisher.PublishAsync(missing);
            await publisher.PublishAsync(good);
        }

        var handled = await bed.RunWorkerAsync(bed.Settings("worker-sb", extra: new()
        {
            ["Queue:Transport"] = "ServiceBus",
            ["Queue:ConnectionString"] = broker.ConnectionString,
            ["Queue:RenewalInterval"] = "00:00:02",
        }));

        Assert.Equal([RunSettlement.DeadLetter, RunSettlement.Complete], handled.Select(h => h.Settlement));
        Assert.Equal(RunState.Succeeded, (await bed.StatusAsync(good))!.State);
        Assert.Equal(RunState.Failed, (await bed.StatusAsync(missing))!.State);
        Assert.Equal([1], await bed.VersionsAsync());
        Assert.Equal(0, queue.ActiveCount);
        Assert.Equal(1, queue.DeadLetter!.ActiveCount);
    }
}
