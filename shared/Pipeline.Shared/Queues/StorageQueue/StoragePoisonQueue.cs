// Moves a message to the poison queue: the poison copy is written first (never expiring), and only then is the
// original deleted, so a crash in between leaves a duplicate, never a loss.
using System.Text;
using Azure;
using Azure.Storage.Queues;
using Microsoft.Extensions.Logging;

namespace Pipeline.Shared.Queues.StorageQueue;

internal sealed class StoragePoisonQueue(QueueClient queue, QueueClient poison, ILogger logger)
{
    /// <summary>Largest message a storage queue accepts (64 KiB of UTF-8 text).</summary>
    public const int MaxMessageBytes = 64 * 1024;

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
        var text = envelope.ToJson();
        if (Encoding.UTF8.GetByteCount(text) > MaxMessageBytes)
        {
            // The body alone fits (it came from a queue with the same limit); the envelope does not. Keep the data:
            // the body goes over unchanged and the reason lives in the log.
            logger.LogError("Poison envelope of message {MessageId} exceeds {MaxMessageBytes} bytes; poisoning the bare body ({Reason}: {Description})",
                messageId, MaxMessageBytes, reason, description);
            text = body;
        }
        await poison.SendMessageAsync(text, visibilityTimeout: null, timeToLive: NeverExpires, cancellationToken);
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
