// Builds the IngestionService a local host uses: blobs and the storage-queue publisher from one connection string.
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;

namespace Pipeline.Cli.Local;

public static class LocalIngestion
{
    public static IngestionService Create(StorageOptions storage)
    {
        var retry = StorageRetry.Create();
        var queue = storage.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
        return new IngestionService(storage.BlobService(), new StorageQueuePublisher(queue, retry), retry: retry);
    }
}
