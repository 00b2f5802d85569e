// A receiver's link on a queue (the broker sends): tracks the credit the client grants and turns the client's
// dispositions into complete / abandon / dead-letter on the queue, then settles them.
using Amqp;
using Amqp.Framing;
using Amqp.Listener;

namespace Pipeline.Testing.ServiceBus;

internal sealed class OutgoingLinkEndpoint(BrokerQueue queue, ListenerLink link) : LinkEndpoint
{
    /// <summary>Deliveries the client will still accept; changed only under the queue's lock or here.</summary>
    public int Credit;

    public void Send(Message message) => link.SendMessage(message);

    public override void OnMessage(MessageContext messageContext) =>
        throw new InvalidOperationException("a receiver link does not send messages");

    public override void OnFlow(FlowContext flowContext)
    {
        // Mirrors ListenerLink's own bookkeeping: a flow that does not raise the limit leaves no credit.
        if (flowContext.Messages <= 0) Interlocked.Exchange(ref Credit, 0);
        else Interlocked.Add(ref Credit, flowContext.Messages);
        queue.Pump();
        // The client drains its outstanding credit (e.g. when it closes after an empty receive): give up what is left
        // so that its drain completes instead of timing out.
        if (!link.IsDraining) return;
        queue.ForfeitCredit(this);
        link.CompleteDrain(); // advances the delivery count over the unused credit and answers with a flow
    }

    public override void OnDisposition(DispositionContext dispositionContext)
    {
        var tag = dispositionContext.Message is { } m && BrokerProtocolHandler.LockTokens.TryGetValue(m, out var t) ? t : null;
        var known = tag is not null && queue.Settle(new Guid(tag), dispositionContext.DeliveryState);
        // Settle with Accepted even for a dead-letter (Rejected): echoing Rejected would read as a failure to the client.
        if (known) dispositionContext.Complete();
        else dispositionContext.Complete(new Error(new Amqp.Types.Symbol("com.microsoft:message-lock-lost"))
        {
            Description = "The lock supplied is invalid: it expired or the message was already settled.",
        });
    }

    public override void OnLinkClosed(ListenerLink closedLink, Error error) => queue.RemoveConsumer(this);
}
