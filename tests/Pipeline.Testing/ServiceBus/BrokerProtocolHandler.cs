// Protocol hooks the Service Bus client relies on and AMQPNetLite does not do by itself: every attach answered
// with a max-message-size, and every delivery tagged with its 16-byte lock token (the client reads the tag as the
// message's lock token).
using System.Runtime.CompilerServices;
using Amqp;
using Amqp.Framing;
using Amqp.Handler;

namespace Pipeline.Testing.ServiceBus;

internal sealed class BrokerProtocolHandler : IHandler
{
    public const ulong MaxMessageSizeBytes = 1024 * 1024;

    /// <summary>Lock tokens of messages about to be delivered, looked up when their delivery is sent.</summary>
    public static readonly ConditionalWeakTable<Message, byte[]> LockTokens = new();

    public bool CanHandle(EventId id) => id is EventId.LinkLocalOpen or EventId.SendDelivery;

    public void Handle(Event protocolEvent)
    {
        if (protocolEvent.Id == EventId.LinkLocalOpen && protocolEvent.Context is Attach attach)
            attach.MaxMessageSize = MaxMessageSizeBytes;
        else if (protocolEvent.Id == EventId.SendDelivery && protocolEvent.Context is IDelivery delivery
                 && delivery.Message is not null && LockTokens.TryGetValue(delivery.Message, out var tag))
            delivery.Tag = tag;
    }
}
