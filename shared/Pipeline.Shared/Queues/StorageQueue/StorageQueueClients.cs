// Builds the raw (unencoded) QueueClients of the Storage Queue transport, from a connection string or from the
// queue service URI and a token credential (identity-based access, e.g. DefaultAzureCredential).
using Azure.Core;
using Azure.Storage.Queues;

namespace Pipeline.Shared.Queues.StorageQueue;

public static class StorageQueueClients
{
    /// <summary>Bodies are read as raw text and decoded by <see cref="RequestBody"/>, so both base64 and plain JSON pass.</summary>
    public static QueueClient Create(QueueOptions options, string queueName, TokenCredential credential)
    {
        var clientOptions = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.None };
        if (!string.IsNullOrWhiteSpace(options.ConnectionString))
            return new QueueClient(options.ConnectionString, queueName, clientOptions);
        var service = options.QueueServiceUri
                      ?? throw new InvalidOperationException("Queue:ConnectionString or Queue:QueueServiceUri is required.");
        return new QueueClient(new Uri(service.AbsoluteUri.TrimEnd('/') + "/" + queueName), credential, clientOptions);
    }
}
