// A Storage Queue message held by its visibility timeout; every renewal or update returns a new pop receipt.
using Azure;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues.StorageQueue;

internal sealed class StorageQueueReceivedRequest : ReceivedRequest
{
    private readonly QueueClient _queue;
    private readonly StoragePoisonQueue _poison;
    private readonly TimeSpan _visibilityTimeout;
    private readonly DateTimeOffset? _insertedOn;
    private string _popReceipt;

    public StorageQueueReceivedRequest(TrainingRequest request, Azure.Storage.Queues.Models.QueueMessage message,
        QueueClient queue, StoragePoisonQueue poison, QueueOptions options, ILogger logger)
        : base(request, message.Body.ToString(), message.MessageId, (int)message.DequeueCount, options, logger)
    {
        _queue = queue;
        _poison = poison;
        _visibilityTimeout = options.VisibilityTimeout;
        _insertedOn = message.InsertedOn;
        _popReceipt = message.PopReceipt;
        HeldUntil = message.NextVisibleOn ?? DateTimeOffset.UtcNow + options.VisibilityTimeout;
    }

    protected override async Task CompleteCoreAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _queue.DeleteMessageAsync(MessageId, _popReceipt, cancellationToken);
        }
        catch (RequestFailedException e) when (StoragePoisonQueue.IsLost(e))
        {
            throw Lost(e);
        }
    }

    protected override async Task AbandonCoreAsync(CancellationToken cancellationToken) =>
        await UpdateVisibilityAsync(TimeSpan.Zero, cancellationToken);

    protected override Task DeadLetterCoreAsync(string reason, string description, CancellationToken cancellationToken) =>
        _poison.MoveAsync(MessageId, _popReceipt, Body, DeliveryCount, _insertedOn, reason, description, cancellationToken);

    protected override async Task DeferCoreAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        // The body exactly as delivered (the client does no encoding); the copy's dequeue count starts again at 0.
        await _queue.SendMessageAsync(Body, visibilityTimeout: delay, timeToLive: null, cancellationToken);
        await CompleteCoreAsync(cancellationToken);
    }

    protected override Task<DateTimeOffset> RenewCoreAsync(CancellationToken cancellationToken) =>
        UpdateVisibilityAsync(_visibilityTimeout, cancellationToken);

    private async Task<DateTimeOffset> UpdateVisibilityAsync(TimeSpan visibleIn, CancellationToken cancellationToken)
    {
        try
        {
            // No message text: only the visibility changes; the body stays as published.
            var receipt = await _queue.UpdateMessageAsync(MessageId, _popReceipt, messageText: null, visibleIn, cancellationToken);
            _popReceipt = receipt.Value.PopReceipt;
            return receipt.Value.NextVisibleOn;
        }
        catch (RequestFailedException e) when (StoragePoisonQueue.IsLost(e))
        {
            throw Lost(e);
        }
    }

    private QueueMessageLostException Lost(Exception inner) =>
        new(MessageId, "its visibility timeout ran out and the pop receipt is stale (another consumer may hold it)", inner);
}
