// The Storage Queue transport against real Azurite: receive, renew, abandon, poison, lost pop receipts.
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Queues;

[Collection(AzuriteCollection.Name)]
public sealed class StorageQueueConsumerTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan NoWait = TimeSpan.Zero;

    private QueueOptions Options(int maxDeliveries = 5, double visibilitySeconds = 30, double renewSeconds = 10) => new()
    {
        QueueName = "tr-" + Guid.NewGuid().ToString("N")[..12],
        ConnectionString = azurite.ConnectionString,
        MaxDeliveries = maxDeliveries,
        VisibilityTimeout = TimeSpan.FromSeconds(visibilitySeconds),
        RenewalInterval = TimeSpan.FromSeconds(renewSeconds),
        PollInterval = TimeSpan.FromMilliseconds(100),
    };

    private static StorageQueueConsumer Consumer(QueueOptions o) => new(
        StorageQueueClients.Create(o, o.QueueName, new Azure.Identity.DefaultAzureCredential()),
        StorageQueueClients.Create(o, o.PoisonQueueName, new Azure.Identity.DefaultAzureCredential()),
        o, NullLogger<StorageQueueConsumer>.Instance);

    /// <summary>Publishes exactly as ingestion does: the request JSON, base64-encoded by the client.</summary>
    private async Task PublishAsync(QueueOptions o, string text, QueueMessageEncoding encoding = QueueMessageEncoding.Base64)
    {
        var queue = new QueueClient(azurite.ConnectionString, o.QueueName, new QueueClientOptions { MessageEncoding = encoding });
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync(text);
    }

    private QueueClient Raw(string name) => new(azurite.ConnectionString, name);

    internal static TrainingRequest NewRequest(string target = "support-bot") => new()
    {
        RequestId = TrainingRequest.DeriveId(target, ["ds-" + Guid.NewGuid().ToString("N")[..8]], ""),
        Target = target,
        DatasetIds = ["ds-1"],
    };

    [Fact]
    public async Task Receives_a_base64_request_as_ingestion_publishes_it_and_completes_it()
    {
        var o = Options();
        var sent = NewRequest();
        await PublishAsync(o, sent.ToJson());
        await using var consumer = Consumer(o);

        var received = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.NotNull(received);
        Assert.Equal(sent.RequestId, received.Request.RequestId);
        Assert.Equal(sent.DatasetIds, received.Request.DatasetIds);
        Assert.Equal(1, received.DeliveryCount);
        await received.CompleteAsync();
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
        Assert.Null(await consumer.ReceiveAsync(NoWait));
    }

    [Fact]
    public async Task A_deferred_message_comes_back_after_its_delay_unchanged_and_not_counted_as_a_failed_delivery()
    {
        var o = Options(maxDeliveries: 2);
        var sent = NewRequest();
        await PublishAsync(o, sent.ToJson());
        await using var consumer = Consumer(o);

        // Deferred three times: more than MaxDeliveries allows for failures, yet never poisoned.
        for (var i = 0; i < 3; i++) await (await consumer.ReceiveAsync(TimeSpan.FromSeconds(5)))!.DeferAsync(TimeSpan.FromSeconds(1));
        var hidden = await consumer.ReceiveAsync(NoWait);
        await Task.Delay(1200);
        var back = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Null(hidden);
        Assert.NotNull(back);
        Assert.Equal(1, back.DeliveryCount);
        Assert.Equal(sent.ToJson(), back.Request.ToJson());
        Assert.False(await Raw(o.PoisonQueueName).ExistsAsync() && (await Raw(o.PoisonQueueName).PeekMessagesAsync(1)).Value.Length > 0);
        await back.CompleteAsync();
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
    }

    [Fact]
    public async Task Accepts_a_plain_json_body()
    {
        var o = Options();
        var sent = NewRequest();
        await PublishAsync(o, sent.ToJson(), QueueMessageEncoding.None);
        await using var consumer = Consumer(o);

        var received = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(sent.RequestId, received?.Request.RequestId);
    }

    [Fact]
    public async Task Returns_null_after_waiting_when_the_queue_is_empty()
    {
        await using var consumer = Consumer(Options());
        var started = DateTimeOffset.UtcNow;

        var received = await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(400));

        Assert.Null(received);
        Assert.True(DateTimeOffset.UtcNow - started >= TimeSpan.FromMilliseconds(390));
    }

    [Fact]
    public async Task Keep_alive_keeps_the_message_invisible_past_its_initial_timeout()
    {
        var o = Options(visibilitySeconds: 3, renewSeconds: 0.5);
        await PublishAsync(o, NewRequest().ToJson());
        await using var worker = Consumer(o);
        await using var other = Consumer(o);
        var held = await worker.ReceiveAsync(TimeSpan.FromSeconds(5));
        Assert.NotNull(held);
        var firstDeadline = held.HeldUntil;

        held.StartKeepAlive();
        await Task.Delay(TimeSpan.FromSeconds(4.5)); // well past the 3 s it was first hidden for

        Assert.Null(await other.ReceiveAsync(NoWait));
        Assert.True(held.HeldUntil > firstDeadline.AddSeconds(1), $"held until {held.HeldUntil}, first {firstDeadline}");
        Assert.False(held.LostToken.IsCancellationRequested);
        await held.CompleteAsync();
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
    }

    [Fact]
    public async Task Abandon_returns_the_message_at_once_with_the_next_delivery_count()
    {
        var o = Options();
        await PublishAsync(o, NewRequest().ToJson());
        await using var consumer = Consumer(o);

        var first = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));
        await first!.AbandonAsync();
        var second = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.NotNull(second);
        Assert.Equal(first.MessageId, second.MessageId);
        Assert.Equal(2, second.DeliveryCount);
    }

    [Fact]
    public async Task Poisons_a_message_with_its_reason_after_max_deliveries()
    {
        var o = Options(maxDeliveries: 2);
        var sent = NewRequest();
        await PublishAsync(o, sent.ToJson());
        await using var consumer = Consumer(o);

        for (var i = 1; i <= 2; i++)
        {
            var r = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));
            Assert.Equal(i, r!.DeliveryCount);
            await r.AbandonAsync();
        }
        var third = await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(300));

        Assert.Null(third);
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
        var poisoned = PoisonMessage.Parse((await Raw(o.PoisonQueueName).ReceiveMessageAsync()).Value.MessageText);
        Assert.Equal("MaxDeliveriesExceeded", poisoned.Reason);
        Assert.Contains("delivered 3 times; the limit is 2", poisoned.Description);
        Assert.Equal(3, poisoned.DequeueCount);
        Assert.Equal(sent.RequestId, RequestBody.Decode(poisoned.Body).Request?.RequestId);
    }

    [Fact]
    public async Task Poisons_an_invalid_body_at_once_and_keeps_serving_the_next_message()
    {
        var o = Options();
        await PublishAsync(o, "{\"request_id\": \"x\"}");
        var good = NewRequest();
        await PublishAsync(o, good.ToJson());
        await using var consumer = Consumer(o);

        var received = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(good.RequestId, received?.Request.RequestId);
        var poisoned = PoisonMessage.Parse((await Raw(o.PoisonQueueName).ReceiveMessageAsync()).Value.MessageText);
        Assert.Equal("InvalidBody", poisoned.Reason);
        Assert.Contains("target", poisoned.Description);
        Assert.Equal(1, poisoned.DequeueCount);
        Assert.Equal(o.QueueName, poisoned.Queue);
    }

    [Fact]
    public async Task Dead_letter_by_the_worker_writes_the_poison_copy_with_its_reason_and_removes_the_original()
    {
        var o = Options();
        var sent = NewRequest();
        await PublishAsync(o, sent.ToJson());
        await using var consumer = Consumer(o);
        var received = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5));

        await received!.DeadLetterAsync("DatasetNotFound", "datasets/support-bot/ds-1 does not exist");

        var poisoned = PoisonMessage.Parse((await Raw(o.PoisonQueueName).ReceiveMessageAsync()).Value.MessageText);
        Assert.Equal("DatasetNotFound", poisoned.Reason);
        Assert.Equal("datasets/support-bot/ds-1 does not exist", poisoned.Description);
        Assert.Equal(received.Body, poisoned.Body);
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
        await Assert.ThrowsAsync<InvalidOperationException>(() => received.CompleteAsync());
    }

    [Fact]
    public async Task Completing_a_message_that_reappeared_and_was_taken_again_reports_it_lost()
    {
        var o = Options(visibilitySeconds: 1, renewSeconds: 0.5);
        await PublishAsync(o, NewRequest().ToJson());
        await using var first = Consumer(o);
        await using var second = Consumer(o);
        var stale = await first.ReceiveAsync(TimeSpan.FromSeconds(5));

        var retaken = await second.ReceiveAsync(TimeSpan.FromSeconds(5)); // visible again after 1 s

        Assert.NotNull(retaken);
        Assert.Equal(2, retaken.DeliveryCount);
        await Assert.ThrowsAsync<QueueMessageLostException>(() => stale!.CompleteAsync());
        await retaken.CompleteAsync();
    }

    [Fact]
    public async Task Poisons_a_body_too_large_for_an_envelope_unchanged_rather_than_lose_it()
    {
        var o = Options();
        var quotes = string.Concat(Enumerable.Repeat("\"x\",", 12_000)); // 48 KB that JSON-escaping grows past 64 KiB
        await PublishAsync(o, quotes, QueueMessageEncoding.None);
        await using var consumer = Consumer(o);

        Assert.Null(await consumer.ReceiveAsync(TimeSpan.FromMilliseconds(300)));

        Assert.Equal(quotes, (await Raw(o.PoisonQueueName).ReceiveMessageAsync()).Value.MessageText);
        Assert.Empty((await Raw(o.QueueName).PeekMessagesAsync(10)).Value);
    }
}
