// Moves a message to the poison queue: the poison copy is written first (never expiring), and only then is the
// original deleted, so a crash in between leaves a duplicate, never a loss.
using Azure;
using Azure.Storage.Queues;

namespace Pipeline.Shared.Queues.StorageQueue;

internal sealed class StoragePoisonQueue(QueueClient queue, QueueClient poison)
{
    /// <summary>The message is gone (404) or was received again by someone else (400 PopReceiptMismatch).</summary>
    public static bool IsLost(RequestFailedException e) => e.Status == 404 || e.ErrorCode == "PopReceiptMismatch";

    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    public async Task MoveAsync(string messageId, string popReceipt, string body, long dequeueCount,
        DateTimeOffset? insertedOn, string reason, string description, CancellationToken cancellationToken)
    {
        var envelope = new PoisonMessage
        {
            Reason = reason,
            Description = description,
            Queue = queue.Name,
            MessageId = messageId,
            DequeueCount = dequeueCount,
            InsertedOn = insertedOn,
            PoisonedAt = DateTimeOffset.UtcNow,
            Body = body,
        };
        await poison.SendMessageAsync(envelope.ToJson(), visibilityTimeout: null, timeToLive: NeverExpires, cancellationToken);
        try
        {
            await queue.DeleteMessageAsync(messageId, popReceipt, cancellationToken);
        }
        catch (RequestFailedException e) when (IsLost(e))
        {
            throw new QueueMessageLostException(messageId, "its pop receipt expired before it was deleted; the poison copy exists and the message may be delivered again", e);
        }
    }
}
