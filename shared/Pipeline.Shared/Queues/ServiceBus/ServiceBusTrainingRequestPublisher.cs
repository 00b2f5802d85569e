// Publishes training requests to a Service Bus queue: the request JSON with MessageId = RequestId, so the queue's
// duplicate detection drops a repeat of the same request.
using Azure.Messaging.ServiceBus;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues.ServiceBus;

public sealed class ServiceBusTrainingRequestPublisher(ServiceBusSender sender) : ITrainingRequestPublisher, IAsyncDisposable
{
    public async Task PublishAsync(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        var message = new ServiceBusMessage(BinaryData.FromString(request.ToJson()))
        {
            MessageId = request.RequestId,
            ContentType = "application/json",
            Subject = "training-request",
        };
        message.ApplicationProperties["target"] = request.Target;
        if (request.TraceParent is { Length: > 0 } traceParent) message.ApplicationProperties["traceparent"] = traceParent;
        await sender.SendMessageAsync(message, cancellationToken);
    }

    public ValueTask DisposeAsync() => sender.DisposeAsync();
}
