// The Service Bus transport (publisher and consumer) with the real client against the in-process test broker.
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.ServiceBus;
using Pipeline.Testing.ServiceBus;

namespace Pipeline.Shared.Tests.Queues;

public sealed class ServiceBusConsumerTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    private readonly ServiceBusTestBroker _broker = new(lockDuration: TimeSpan.FromSeconds(2));
    private readonly QueueOptions _options;
    private ServiceBusClient _client = null!;
    private BrokerQueue _queue = null!;

    public ServiceBusConsumerTests()
    {
        _options = new QueueOptions
        {
            Transport = QueueTransport.ServiceBus,
            ConnectionString = _broker.ConnectionString,
            MaxDeliveries = 2,
            RenewalInterval = TimeSpan.FromMilliseconds(500),
        };
    }

    public Task InitializeAsync()
    {
        _queue = _broker.CreateQueue(_options.QueueName);
        _client = new ServiceBusClient(_broker.ConnectionString);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        _broker.Dispose();
    }

    private ServiceBusConsumer Consumer() => new(
        _client.CreateReceiver(_options.QueueName, ServiceBusConsumer.ReceiverOptions), _client.CreateSender(_options.QueueName), _options,
        NullLogger<ServiceBusConsumer>.Instance);

    private ServiceBusTrainingRequestPublisher Publisher() => new(_client.CreateSender(_options.QueueName));

    private async Task<ServiceBusReceivedMessage> DeadLetteredAsync()
    {
        await using var receiver = _client.CreateReceiver(_options.QueueName, new ServiceBusReceiverOptions { SubQueue = SubQueue.DeadLetter });
        return await receiver.ReceiveMessageAsync(Wait);
    }

    [Fact]
    public async Task Publishes_with_the_request_id_as_message_id_and_receives_and_completes_it()
    {
        var sent = StorageQueueConsumerTests.NewRequest();
        await using (var publisher = Publisher()) await publisher.PublishAsync(sent);
        await using var consumer = Consumer();

        var received = await consumer.ReceiveAsync(Wait);

        Assert.NotNull(received);
        Assert.Equal(sent.RequestId, received.MessageId);
        Assert.Equal(sent.RequestId, received.Request.RequestId);
        Assert.Equal(sent.Target, received.Request.Target);
        Assert.Equal(1, received.DeliveryCount);
        await received.CompleteAsync();
        Assert.Equal(0, _queue.ActiveCount);
        Assert.Equal(1, _queue.CompletedCount);
    }

    [Fact]
    public async Task A_repeated_request_arrives_with_the_same_message_id_so_the_worker_can_tell()
    {
        var sent = StorageQueueConsumerTests.NewRequest();
        await using (var publisher = Publisher())
        {
            await publisher.PublishAsync(sent);
            await publisher.PublishAsync(sent);
        }
        await using var consumer = Consumer();

        var first = await consumer.ReceiveAsync(Wait);
        var second = await consumer.ReceiveAsync(Wait);

        Assert.Equal(sent.RequestId, first?.MessageId);
        Assert.Equal(sent.RequestId, second?.MessageId);
        Assert.Equal(first!.Request.RequestId, second!.Request.RequestId);
    }

    [Fact]
    public async Task A_deferred_message_is_scheduled_back_after_its_delay_under_a_new_id_and_not_counted_as_a_failed_delivery()
    {
        var sent = StorageQueueConsumerTests.NewRequest();
        await using (var publisher = Publisher()) await publisher.PublishAsync(sent);
        await using var consumer = Consumer();

        // Deferred more often than MaxDeliveries (2) allows for failures, yet never dead-lettered.
        for (var i = 0; i < 3; i++) await (await consumer.ReceiveAsync(Wait))!.DeferAsync(TimeSpan.FromSeconds(1));
        var scheduled = _queue.ScheduledCount;
        var back = await consumer.ReceiveAsync(Wait);

        Assert.Equal(1, scheduled);
        Assert.NotNull(back);
        Assert.Equal(1, back.DeliveryCount);
        Assert.Equal(sent.ToJson(), back.Request.ToJson());
        Assert.StartsWith(sent.RequestId + "~", back.MessageId); // the queue's duplicate detection would drop the request id
        await back.CompleteAsync();
        Assert.Equal(0, _queue.ActiveCount);
        Assert.Equal(0, _queue.DeadLetter!.ActiveCount);
    }

    [Fact]
    public async Task Abandon_redelivers_with_delivery_count_two()
    {
        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await using var consumer = Consumer();

        var first = await consumer.ReceiveAsync(Wait);
        await first!.AbandonAsync();
        var second = await consumer.ReceiveAsync(Wait);

        Assert.Equal(first.MessageId, second?.MessageId);
        Assert.Equal(2, second!.DeliveryCount);
    }

    [Fact]
    public async Task Dead_letters_after_max_deliveries_with_a_reason_readable_from_the_dead_letter_queue()
    {
        var sent = StorageQueueConsumerTests.NewRequest();
        await using (var publisher = Publisher()) await publisher.PublishAsync(sent);
        await using var consumer = Consumer();

        for (var delivery = 1; delivery <= _options.MaxDeliveries; delivery++)
            await (await consumer.ReceiveAsync(Wait))!.AbandonAsync();
        var beyond = await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(500));

        Assert.Null(beyond);
        Assert.Equal(0, _queue.ActiveCount);
        var dead = await DeadLetteredAsync();
        Assert.Equal(sent.RequestId, dead.MessageId);
        Assert.Equal("MaxDeliveriesExceeded", dead.DeadLetterReason);
        Assert.Equal("delivered 3 times; the limit is 2", dead.DeadLetterErrorDescription);
    }

    [Fact]
    public async Task Dead_letters_an_invalid_message_at_once_and_serves_the_next_one()
    {
        await using (var sender = _client.CreateSender(_options.QueueName))
            await sender.SendMessageAsync(new ServiceBusMessage("this is not json") { MessageId = "junk" });
        var good = StorageQueueConsumerTests.NewRequest();
        await using (var publisher = Publisher()) await publisher.PublishAsync(good);
        await using var consumer = Consumer();

        var received = await consumer.ReceiveAsync(Wait);

        Assert.Equal(good.RequestId, received?.Request.RequestId);
        var dead = await DeadLetteredAsync();
        Assert.Equal("junk", dead.MessageId);
        Assert.Equal(1, dead.DeliveryCount);
        Assert.Equal("InvalidBody", dead.DeadLetterReason);
        Assert.Contains("neither a JSON object nor base64", dead.DeadLetterErrorDescription);
    }

    [Fact]
    public async Task Dead_letter_by_the_worker_keeps_its_reason_and_description()
    {
        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await using var consumer = Consumer();
        var received = await consumer.ReceiveAsync(Wait);

        await received!.DeadLetterAsync("DatasetNotFound", "datasets/support-bot/ds-1 does not exist");

        var dead = await DeadLetteredAsync();
        Assert.Equal("DatasetNotFound", dead.DeadLetterReason);
        Assert.Equal("datasets/support-bot/ds-1 does not exist", dead.DeadLetterErrorDescription);
    }

    [Fact]
    public async Task Keep_alive_holds_a_message_longer_than_the_lock_duration()
    {
        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await using var worker = Consumer();
        await using var other = Consumer();
        var held = await worker.ReceiveAsync(Wait);
        var firstLock = held!.HeldUntil;

        held.StartKeepAlive();
        await Task.Delay(_broker.LockDuration * 2); // the 2 s lock would have expired twice over

        Assert.Null(await other.ReceiveAsync(TimeSpan.FromMilliseconds(300)));
        Assert.True(held.HeldUntil > firstLock.AddSeconds(1), $"held until {held.HeldUntil:O}, first {firstLock:O}");
        Assert.False(held.LostToken.IsCancellationRequested);
        await held.CompleteAsync();
        Assert.Equal(1, _queue.CompletedCount);
        Assert.Equal(0, _queue.ActiveCount);
    }

    [Fact]
    public async Task Completing_after_the_lock_expired_reports_the_message_lost()
    {
        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await using var consumer = Consumer();
        var held = await consumer.ReceiveAsync(Wait);

        await Task.Delay(_broker.LockDuration + TimeSpan.FromMilliseconds(500));

        await Assert.ThrowsAsync<QueueMessageLostException>(() => held!.CompleteAsync());
    }

    [Fact]
    public async Task Dead_letters_a_message_whose_body_is_an_amqp_value_instead_of_bytes()
    {
        var amqp = new Azure.Core.Amqp.AmqpAnnotatedMessage(Azure.Core.Amqp.AmqpMessageBody.FromValue("{}"));
        amqp.Properties.MessageId = new Azure.Core.Amqp.AmqpMessageId("value-body");
        await using (var sender = _client.CreateSender(_options.QueueName))
            await sender.SendMessageAsync(new ServiceBusMessage(amqp));
        await using var consumer = Consumer();

        var received = await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(500));

        Assert.Null(received);
        var dead = await DeadLetteredAsync();
        Assert.Equal("value-body", dead.MessageId);
        Assert.Equal("InvalidBody", dead.DeadLetterReason);
        Assert.Contains("not data", dead.DeadLetterErrorDescription);
    }

    [Fact]
    public async Task A_message_sent_while_the_worker_is_busy_is_not_locked_before_the_worker_asks()
    {
        await using var consumer = Consumer();
        Assert.Null(await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(300)));

        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await Task.Delay(300);

        Assert.Equal(0, _queue.LockedCount);
        Assert.NotNull(await consumer.ReceiveAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task Keep_alive_signals_a_lost_lock_so_the_run_can_stop()
    {
        await using (var publisher = Publisher()) await publisher.PublishAsync(StorageQueueConsumerTests.NewRequest());
        await using var consumer = Consumer();
        var held = await consumer.ReceiveAsync(Wait);
        await Task.Delay(_broker.LockDuration + TimeSpan.FromMilliseconds(300)); // the lock runs out before renewal starts

        var started = System.Diagnostics.Stopwatch.StartNew();
        held!.StartKeepAlive();
        await Task.WhenAny(Task.Delay(Timeout.Infinite, held.LostToken), Task.Delay(TimeSpan.FromSeconds(5)));

        Assert.True(held.LostToken.IsCancellationRequested, "the keep-alive did not report the lost lock within 5 s");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"took {started.Elapsed}");
        await Assert.ThrowsAsync<QueueMessageLostException>(() => held.CompleteAsync());
    }
}
