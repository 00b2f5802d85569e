// A sender's link on a queue (the broker receives): every transfer is stored and accepted; a message scheduled for
// later (x-opt-scheduled-enqueue-time, the client's ScheduledEnqueueTime) becomes available at that time.
using Amqp.Listener;
using Amqp.Types;

namespace Pipeline.Testing.ServiceBus;

internal sealed class IncomingLinkEndpoint(BrokerQueue queue) : LinkEndpoint
{
    public override void OnMessage(MessageContext messageContext)
    {
        DateTime? scheduled = messageContext.Message.MessageAnnotations?.Map.TryGetValue(new Symbol("x-opt-scheduled-enqueue-time"), out var at) == true
            ? at as DateTime? : null;
        queue.Enqueue(StoredMessage.Encode(messageContext.Message), availableAtUtc: scheduled);
        messageContext.Complete();
    }

    public override void OnFlow(FlowContext flowContext)
    {
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
    }
}
