// A sender's link on a queue (the broker receives): every transfer is stored and accepted.
using Amqp.Listener;

namespace Pipeline.Testing.ServiceBus;

internal sealed class IncomingLinkEndpoint(BrokerQueue queue) : LinkEndpoint
{
    public override void OnMessage(MessageContext messageContext)
    {
        queue.Enqueue(StoredMessage.Encode(messageContext.Message));
        messageContext.Complete();
    }

    public override void OnFlow(FlowContext flowContext)
    {
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
    }
}
