// Storage Queue consumer: polls the queue, holds each message by its visibility timeout, and sends invalid or
// too-often-delivered messages to "{queue}-poison" with their reason before anyone works on them.
using System.Diagnostics;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;

namespace Pipeline.Shared.Queues.StorageQueue;

public sealed class StorageQueueConsumer : ITrainingRequestConsumer
{
    private readonly QueueClient _queue;
    private readonly QueueClient _poisonQueue;
    private readonly StoragePoisonQueue _poison;
    private readonly QueueOptions _options;
    private readonly ILogger _logger;
    private bool _created;

    /// <param name="queue">The main queue, with <see cref="QueueMessageEncoding.None"/> (bodies are decoded here).</param>
    /// <param name="poisonQueue">The poison queue ("{queue}-poison").</param>
    public StorageQueueConsumer(QueueClient queue, QueueClient poisonQueue, QueueOptions options, ILogger<StorageQueueConsumer> logger)
    {
        _queue = queue;
        _poisonQueue = poisonQueue;
        _poison = new StoragePoisonQueue(queue, poisonQueue, logger);
        _options = options;
        _logger = logger;
    }

    public async Task<ReceivedRequest?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        await EnsureQueuesAsync(cancellationToken);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            QueueMessage? message = (await _queue.ReceiveMessageAsync(_options.VisibilityTimeout, cancellationToken)).Value;
            if (message is not null)
            {
                var request = await ScreenAsync(message, cancellationToken);
                if (request is not null) return request;
                continue;
            }
            var remaining = maxWait - waited.Elapsed;
            if (remaining <= TimeSpan.Zero) return null;
            await Task.Delay(remaining < _options.PollInterval ? remaining : _options.PollInterval, cancellationToken);
        }
    }

    private async Task<ReceivedRequest?> ScreenAsync(QueueMessage message, CancellationToken cancellationToken)
    {
        var body = message.Body.ToString();
        if (message.DequeueCount > _options.MaxDeliveries)
        {
            await PoisonAsync(message, body, "MaxDeliveriesExceeded",
                $"delivered {message.DequeueCount} times; the limit is {_options.MaxDeliveries}", cancellationToken);
            return null;
        }
        var decoded = RequestBody.Decode(body);
        if (!decoded.IsValid)
        {
            await PoisonAsync(message, body, "InvalidBody", decoded.Error!, cancellationToken);
            return null;
        }
        _logger.LogInformation("Received training request {RequestId} for {Target} (message {MessageId}, delivery {DeliveryCount})",
            decoded.Request!.RequestId, decoded.Request.Target, message.MessageId, message.DequeueCount);
        return new StorageQueueReceivedRequest(decoded.Request, message, _queue, _poison, _options, _logger);
    }

    private async Task PoisonAsync(QueueMessage message, string body, string reason, string description, CancellationToken cancellationToken)
    {
        _logger.LogWarning("Poisoning message {MessageId} of queue {Queue}: {Reason}: {Description}",
            message.MessageId, _queue.Name, reason, description);
        try
        {
            await _poison.MoveAsync(message.MessageId, message.PopReceipt, body, message.DequeueCount, message.InsertedOn,
                reason, description, cancellationToken);
        }
        catch (QueueMessageLostException e)
        {
            // The poison copy is written; the original reappears and is poisoned again (a duplicate, not a loss).
            _logger.LogWarning(e, "Message {MessageId} was poisoned but not deleted from {Queue}", message.MessageId, _queue.Name);
        }
    }

    private async Task EnsureQueuesAsync(CancellationToken cancellationToken)
    {
        if (_created) return;
        await _queue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await _poisonQueue.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        _created = true;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
