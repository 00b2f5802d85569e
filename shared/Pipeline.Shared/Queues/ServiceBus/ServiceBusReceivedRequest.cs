// A Service Bus message held by its peek-lock; the lock token travels with the message and renewals extend it.
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues.ServiceBus;

internal sealed class ServiceBusReceivedRequest : ReceivedRequest
{
    private readonly ServiceBusReceivedMessage _message;
    private readonly ServiceBusReceiver _receiver;
    private readonly ServiceBusSender _sender;

    public ServiceBusReceivedRequest(TrainingRequest request, string body, ServiceBusReceivedMessage message,
        ServiceBusReceiver receiver, ServiceBusSender sender, QueueOptions options, ILogger logger)
        : base(request, body, message.MessageId, message.DeliveryCount, options, logger)
    {
        _message = message;
        _receiver = receiver;
        _sender = sender;
        HeldUntil = message.LockedUntil;
    }

    protected override Task CompleteCoreAsync(CancellationToken cancellationToken) =>
        Guard(() => _receiver.CompleteMessageAsync(_message, cancellationToken));

    protected override Task AbandonCoreAsync(CancellationToken cancellationToken) =>
        Guard(() => _receiver.AbandonMessageAsync(_message, cancellationToken: cancellationToken));

    protected override Task DeadLetterCoreAsync(string reason, string description, CancellationToken cancellationToken) =>
        Guard(() => _receiver.DeadLetterMessageAsync(_message, reason, description, cancellationToken));

    /// <summary>A scheduled copy, then complete. The copy's MessageId names the original's sequence number: the queue's
    /// duplicate detection (on for the request id) would drop a copy with the original's id, and a retried deferral of
    /// the same delivery is still recognised as one.</summary>
    protected override async Task DeferCoreAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var copy = new ServiceBusMessage(_message)
        {
            MessageId = $"{Request.RequestId}~{_message.SequenceNumber}",
            ScheduledEnqueueTime = DateTimeOffset.UtcNow + delay,
        };
        await _sender.SendMessageAsync(copy, cancellationToken);
        await CompleteCoreAsync(cancellationToken);
    }

    protected override async Task<DateTimeOffset> RenewCoreAsync(CancellationToken cancellationToken)
    {
        await Guard(() => _receiver.RenewMessageLockAsync(_message, cancellationToken));
        return _message.LockedUntil;
    }

    private async Task Guard(Func<Task> operation)
    {
        try
        {
            await operation();
        }
        catch (ServiceBusException e) when (e.Reason is ServiceBusFailureReason.MessageLockLost or ServiceBusFailureReason.MessageNotFound)
        {
            throw new QueueMessageLostException(MessageId, $"the Service Bus lock is lost ({e.Reason})", e);
        }
    }
}
