// Raised when a held message can no longer be settled or renewed: its lock expired or another consumer took it.
namespace Pipeline.Shared.Queues;

public sealed class QueueMessageLostException(string messageId, string reason, Exception? inner = null)
    : Exception($"queue message {messageId} is no longer held by this consumer: {reason}", inner)
{
    public string MessageId { get; } = messageId;
}
