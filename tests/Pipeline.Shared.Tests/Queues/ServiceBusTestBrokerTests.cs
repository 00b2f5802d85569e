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

    [Fact]
    public async Task Abandon_redelivers_the_message_with_delivery_count_two()
    {
        await SendAsync("again");
        await using var receiver = Receiver();

        var first = await receiver.ReceiveMessageAsync(Wait);
        await receiver.AbandonMessageAsync(first);
        var second = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal("again", second.Body.ToString());
        Assert.Equal(2, second.DeliveryCount);
        Assert.Equal(first.SequenceNumber, second.SequenceNumber);
        Assert.NotEqual(first.LockToken, second.LockToken);
    }

    [Fact]
    public async Task Dead_letter_moves_the_message_to_the_dead_letter_queue_with_reason_and_description()
    {
        await SendAsync("bad");
        await using var receiver = Receiver();
        await using var deadLetters = Receiver(SubQueue.DeadLetter);

        var message = await receiver.ReceiveMessageAsync(Wait);
        await receiver.DeadLetterMessageAsync(message, "InvalidBody", "not a training request");
        var dead = await deadLetters.ReceiveMessageAsync(Wait);

        Assert.Equal(0, _queue.ActiveCount);
        Assert.Equal("bad", dead.Body.ToString());
        Assert.Equal("InvalidBody", dead.DeadLetterReason);
        Assert.Equal("not a training request", dead.DeadLetterErrorDescription);
        await deadLetters.CompleteMessageAsync(dead);
    }

    [Fact]
    public async Task An_expired_lock_redelivers_the_message_and_its_old_lock_token_is_refused()
    {
        await SendAsync("slow");
        await using var receiver = Receiver();

        var first = await receiver.ReceiveMessageAsync(Wait);
        await Task.Delay(_broker.LockDuration + TimeSpan.FromMilliseconds(500));
        var second = await receiver.ReceiveMessageAsync(Wait);

        Assert.Equal(2, second.DeliveryCount);
        var lost = await Assert.ThrowsAsync<ServiceBusException>(() => receiver.CompleteMessageAsync(first));
        Assert.Equal(ServiceBusFailureReason.MessageLockLost, lost.Reason);
        await receiver.CompleteMessageAsync(second);
    }

    [Fact]
    public async Task Renew_lock_extends_the_lock_through_the_management_node()
    {
        await SendAsync("long");
        await using var receiver = Receiver();
        var message = await receiver.ReceiveMessageAsync(Wait);
        var firstLock = message.LockedUntil;

        await Task.Delay(TimeSpan.FromSeconds(1));
        await receiver.RenewMessageLockAsync(message);

        Assert.True(message.LockedUntil > firstLock.AddMilliseconds(500), $"{message.LockedUntil:O} vs {firstLock:O}");
        await receiver.CompleteMessageAsync(message);
    }

    [Fact]
    public async Task Refuses_a_link_to_a_queue_that_does_not_exist()
    {
        await using var sender = _client.CreateSender("no-such-queue");

        var error = await Assert.ThrowsAsync<ServiceBusException>(() => sender.SendMessageAsync(new ServiceBusMessage("x")));

        Assert.Equal(ServiceBusFailureReason.MessagingEntityNotFound, error.Reason);
    }

    [Fact]
    public async Task An_empty_receive_returns_null_after_its_wait()
    {
        await using var receiver = Receiver();

        var nothing = await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(300));
        await SendAsync("later");
        var later = await receiver.ReceiveMessageAsync(Wait);

        Assert.Null(nothing);
        Assert.Equal("later", later.Body.ToString());
        Assert.Null(await receiver.ReceiveMessageAsync(TimeSpan.FromMilliseconds(300))); // leaves credit for the close to drain
    }

    [Fact]
    public async Task A_service_bus_processor_keeps_renewing_the_lock_of_a_message_held_past_its_lock_duration()
    {
        await SendAsync("hours of training");
        var deliveries = new List<int>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = _client.CreateProcessor(_queue.Name, new ServiceBusProcessorOptions
        {
            AutoCompleteMessages = false,
            MaxConcurrentCalls = 1,
            MaxAutoLockRenewalDuration = TimeSpan.FromMinutes(1),
        });
        processor.ProcessMessageAsync += async args =>
        {
            lock (deliveries) deliveries.Add(args.Message.DeliveryCount);
            await Task.Delay(_broker.LockDuration * 2); // the lock would have expired without renewal
            await args.CompleteMessageAsync(args.Message);
            done.TrySetResult();
        };
        processor.ProcessErrorAsync += args =>
        {
            done.TrySetException(args.Exception);
            return Task.CompletedTask;
        };

        await processor.StartProcessingAsync();
        await done.Task.WaitAsync(TimeSpan.FromSeconds(20));
        await processor.StopProcessingAsync();

        Assert.Equal([1], deliveries);
        Assert.Equal(1, _queue.CompletedCount);
        Assert.Equal(0, _queue.ActiveCount);
    }
}
