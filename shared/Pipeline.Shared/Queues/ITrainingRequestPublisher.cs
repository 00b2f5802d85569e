// Publishing side of the training-request queue. Implementations: Azure Storage Queue (local default), Service Bus.
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues;

public interface ITrainingRequestPublisher
{
    /// <summary>Publishes the request. Storage-queue bodies are the request JSON, base64-encoded (the Functions
    /// default); Service Bus bodies are the JSON with MessageId = RequestId (duplicate detection).</summary>
    Task PublishAsync(TrainingRequest request, CancellationToken cancellationToken = default);
}
