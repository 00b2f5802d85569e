// Service Bus consumer: peek-lock receive, and dead-lettering (with a reason) of invalid or too-often-delivered
// messages before anyone works on them. Lock renewal is the ReceivedRequest keep-alive, bounded by MaxRenewalDuration.
using System.Diagnostics;
using Azure.Messaging.ServiceBus;
using Microsoft.Extensions.Logging;

namespace Pipeline.Shared.Queues.ServiceBus;

public sealed class ServiceBusConsumer : ITrainingRequestConsumer
{
    // The client needs a positive wait; "no wait" becomes this short one.
    private static readonly TimeSpan ShortestWait = TimeSpan.FromMilliseconds(200);

    private readonly ServiceBusReceiver _receiver;
    private readonly ServiceBusSender _sender;
    private readonly QueueOptions _options;
    private readonly ILogger _logger;

    /// <param name="receiver">A peek-lock receiver on the queue, prefetch 0 (a held message must not wait in a buffer).</param>
    /// <param name="sender">A sender on the same queue: a deferred message goes back as a scheduled copy.</param>
    public ServiceBusConsumer(ServiceBusReceiver receiver, ServiceBusSender sender, QueueOptions options, ILogger<ServiceBusConsumer> logger)
    {
        if (sender.EntityPath != receiver.EntityPath)
            throw new ArgumentException($"the sender is for '{sender.EntityPath}', the receiver for '{receiver.EntityPath}'", nameof(sender));
        if (receiver.ReceiveMode != ServiceBusReceiveMode.PeekLock)
            throw new ArgumentException("the training-request receiver must use PeekLock", nameof(receiver));
        _receiver = receiver;
        _sender = sender;
        _options = options;
        _logger = logger;
    }

    public static ServiceBusReceiverOptions ReceiverOptions => new() { ReceiveMode = ServiceBusReceiveMode.PeekLock, PrefetchCount = 0 };

    public async Task<ReceivedRequest?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var remaining = maxWait - waited.Elapsed;
            var message = await _receiver.ReceiveMessageAsync(remaining > ShortestWait ? remaining : ShortestWait, cancellationToken);
            if (message is null) return null;
            var request = await ScreenAsync(message, cancellationToken);
            if (request is not null) return request;
            if (waited.Elapsed >= maxWait) return null;
        }
    }

    private async Task<ReceivedRequest?> ScreenAsync(ServiceBusReceivedMessage message, CancellationToken cancellationToken)
    {
        if (message.DeliveryCount > _options.MaxDeliveries)
        {
            await DeadLetterAsync(message, "MaxDeliveriesExceeded",
                $"delivered {message.DeliveryCount} times; the limit is {_options.MaxDeliveries}", cancellationToken);
            return null;
        }
        var body = DataBody(message);
        var decoded = body is null
            ? new DecodedBody(null, $"message body is an AMQP {message.GetRawAmqpMessage().Body.BodyType} section, not data (bytes)")
            : RequestBody.Decode(body);
        if (!decoded.IsValid)
        {
            await DeadLetterAsync(message, "InvalidBody", decoded.Error!, cancellationToken);
            return null;
        }
        _logger.LogInformation("Received training request {RequestId} for {Target} (message {MessageId}, delivery {DeliveryCount})",
            decoded.Request!.RequestId, decoded.Request.Target, message.MessageId, message.DeliveryCount);
        return new ServiceBusReceivedRequest(decoded.Request, body!, message, _receiver, _sender, _options, _logger);
    }

    /// <summary>The body as text when it is a data section (what every publisher here sends); null for value or
    /// sequence bodies, which the client refuses to expose as bytes.</summary>
    private static string? DataBody(ServiceBusReceivedMessage message) =>
        message.GetRawAmqpMessage().Body.BodyType == Azure.Core.Amqp.AmqpMessageBodyType.Data ? message.Body.ToString() : null;

    private async Task DeadLetterAsync(ServiceBusReceivedMessage message, string reason, string description, CancellationToken cancellationToken)
    {
        _logger.LogWarning("Dead-lettering message {MessageId} of queue {Queue}: {Reason}: {Description}",
            message.MessageId, _receiver.EntityPath, reason, description);
        await _receiver.DeadLetterMessageAsync(message, reason, description, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _receiver.DisposeAsync();
        await _sender.DisposeAsync();
    }
}
