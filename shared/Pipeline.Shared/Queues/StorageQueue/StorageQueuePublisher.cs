// Publishes training requests on an Azure Storage Queue (Azurite locally): base64 JSON bodies, created on first use.
using Azure.Storage.Queues;
using Pipeline.Shared.Contracts;
using Polly;

namespace Pipeline.Shared.Queues.StorageQueue;

public sealed class StorageQueuePublisher(QueueClient queue, ResiliencePipeline retry) : ITrainingRequestPublisher
{
    private volatile bool _created;

    /// <summary>The queue client must use <see cref="QueueMessageEncoding.Base64"/> (see StorageOptions.QueueService).</summary>
    public QueueClient Queue => queue;

    public async Task PublishAsync(TrainingRequest request, CancellationToken cancellationToken = default)
    {
        var body = request.ToJson();
        await retry.ExecuteAsync(async ct =>
        {
            if (!_created)
            {
                await queue.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
                _created = true;
            }
            await queue.SendMessageAsync(body, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
