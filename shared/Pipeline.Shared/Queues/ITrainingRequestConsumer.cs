// Receiving side of the training-request queue: one interface for every transport (Storage Queue, Service Bus).
namespace Pipeline.Shared.Queues;

public interface ITrainingRequestConsumer : IAsyncDisposable
{
    /// <summary>
    /// Waits up to <paramref name="maxWait"/> for the next valid request and holds it (invisible / locked) for the
    /// caller, who must settle it. Bodies that are not a valid request, and messages delivered more than
    /// <see cref="QueueOptions.MaxDeliveries"/> times, are moved to the poison / dead-letter queue with their reason
    /// on the way and never returned. Returns null when nothing arrived in time.
    /// </summary>
    Task<ReceivedRequest?> ReceiveAsync(TimeSpan maxWait, CancellationToken cancellationToken = default);
}
