// The in-process test broker against the unmodified Azure.Messaging.ServiceBus client: the subset it promises.
using Azure.Messaging.ServiceBus;
using Pipeline.Testing.ServiceBus;

namespace Pipeline.Shared.Tests.Queues;

public sealed class ServiceBusTestBrokerTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly ServiceBusTestBroker _broker = new(lockDuration: TimeSpan.FromSeconds(2));
    private ServiceBusClient _client = null!;
    private BrokerQueue _queue = null!;

    public Task InitializeAsync()
    {
        _queue = _broker.CreateQueue("broker-test");
        _client = new ServiceBusClient(_broker.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _broker.Dispose();
    }

    private ServiceBusReceiver Receiver(SubQueue subQueue = SubQueue.None) =>
        _client.CreateReceiver(_queue.Name, new ServiceBusReceiverOptions { SubQueue = subQueue, PrefetchCount = 0 });

    private async Task SendAsync(string body, string messageId = "m-1")
    {
        await using var sender = _client.CreateSender(_queue.Name);
        await sender.SendMessageAsync(new ServiceBusMessage(body) { MessageId = messageId });
    }

    [Fact]
    public async Task Delivers_a_sent_message_under_a_lock_and_forgets_it_once_completed()
    {
        await SendAsync("hello", "id-42");
        await using var receiver = Receiver();

        var message = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal("hello", message.Body.ToString());
        Assert.Equal("id-42", message.MessageId);
        Assert.Equal(1, message.DeliveryCount);
        Assert.NotEqual(Guid.Empty.ToString(), message.LockToken);
        Assert.True(message.LockedUntil > DateTimeOffset.UtcNow);
        Assert.True(message.SequenceNumber > 0);
        Assert.Equal(1, _queue.LockedCount);
        await receiver.CompleteMessageAsync(message);
        Assert.Equal(0, _queue.ActiveCount);
        Assert.Equal(1, _queue.CompletedCount);
    }
}
