// The "$cbs" node: answers every put-token with 202 Accepted (the broker trusts any token; it is for tests only).
using Amqp;
using Amqp.Framing;
using Amqp.Listener;

namespace Pipeline.Testing.ServiceBus;

internal sealed class CbsRequestProcessor : IRequestProcessor
{
    public const string Address = "$cbs";

    public int Credit => 100;

    public void Process(RequestContext requestContext)
    {
        var response = new Message
        {
            ApplicationProperties = new ApplicationProperties
            {
                ["status-code"] = 202,
                ["status-description"] = "Accepted",
            },
        };
        requestContext.Complete(response);
    }
}
