// One message at rest in a test-broker queue: its encoded bytes as sent, its sequence number, enqueue time and how
// many deliveries failed so far (the AMQP header's delivery-count; the client shows it plus one).
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace Pipeline.Testing.ServiceBus;

internal sealed record StoredMessage(long SequenceNumber, byte[] Encoded, DateTime EnqueuedAtUtc, uint FailedDeliveries)
{
    public static byte[] Encode(Message message)
    {
        var buffer = message.Encode();
        return buffer.Buffer.AsSpan(buffer.Offset, buffer.Length).ToArray();
    }

    public Message Decode() => Message.Decode(new ByteBuffer(Encoded, 0, Encoded.Length, Encoded.Length));

    /// <summary>A fresh copy to put on the wire, annotated the way Service Bus annotates a locked message.</summary>
    public Message ForDelivery(DateTime lockedUntilUtc)
    {
        var message = Decode();
        message.Header ??= new Header();
        message.Header.DeliveryCount = FailedDeliveries;
        message.MessageAnnotations ??= new MessageAnnotations();
        message.MessageAnnotations[new Symbol("x-opt-sequence-number")] = SequenceNumber;
        message.MessageAnnotations[new Symbol("x-opt-enqueued-time")] = EnqueuedAtUtc;
        message.MessageAnnotations[new Symbol("x-opt-locked-until")] = lockedUntilUtc;
        return message;
    }

    /// <summary>The message with the application properties Service Bus adds when it dead-letters one.</summary>
    public byte[] DeadLettered(string? reason, string? description)
    {
        var message = Decode();
        message.ApplicationProperties ??= new ApplicationProperties();
        if (reason is not null) message.ApplicationProperties["DeadLetterReason"] = reason;
        if (description is not null) message.ApplicationProperties["DeadLetterErrorDescription"] = description;
        return Encode(message);
    }
}
