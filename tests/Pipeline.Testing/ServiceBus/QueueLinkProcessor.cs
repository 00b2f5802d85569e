// Attaches client links to broker queues: a client sender to "{queue}", a client receiver to "{queue}" or
// "{queue}/$DeadLetterQueue". Unknown entities are refused with amqp:not-found, as Service Bus does.
using Amqp;
using Amqp.Framing;
using Amqp.Listener;

namespace Pipeline.Testing.ServiceBus;

internal sealed class QueueLinkProcessor(Func<string, BrokerQueue?> findQueue) : ILinkProcessor
{
    private const int IncomingCredit = 100;

    public void Process(AttachContext attachContext)
    {
        var attach = attachContext.Attach;
        var clientReceives = attach.Role;
        var address = Path(clientReceives ? (attach.Source as Source)?.Address : (attach.Target as Target)?.Address);
        var queue = findQueue(address);
        if (queue is null)
        {
            attachContext.Complete(new Error(ErrorCode.NotFound) { Description = $"The messaging entity '{address}' could not be found." });
            return;
        }
        if (clientReceives)
        {
            var endpoint = new OutgoingLinkEndpoint(queue, attachContext.Link);
            queue.AddConsumer(endpoint);
            attachContext.Complete(endpoint, 0);
        }
        else
        {
            attachContext.Complete(new IncomingLinkEndpoint(queue), IncomingCredit);
        }
    }

    /// <summary>Entity path of an address that may be written as a full amqp:// or sb:// URI.</summary>
    private static string Path(string? address) =>
        address is null ? "" : address.Contains("://") ? new Uri(address).AbsolutePath.Trim('/') : address.Trim('/');
}
