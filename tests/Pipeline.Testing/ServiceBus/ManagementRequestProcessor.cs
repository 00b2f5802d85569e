// The "{queue}/$management" node: answers com.microsoft:renew-lock (the only management operation the worker
// needs) with the new lock expirations, and anything else with 501.
using System.Collections;
using Amqp;
using Amqp.Framing;
using Amqp.Listener;
using Amqp.Types;

namespace Pipeline.Testing.ServiceBus;

internal sealed class ManagementRequestProcessor(BrokerQueue queue) : IRequestProcessor
{
    public const string RenewLock = "com.microsoft:renew-lock";

    public int Credit => 100;

    public void Process(RequestContext requestContext)
    {
        var request = requestContext.Message;
        var operation = request.ApplicationProperties?["operation"] as string;
        if (operation != RenewLock)
        {
            requestContext.Complete(Status(501, $"operation '{operation}' is not implemented by the test broker", "amqp:not-implemented"));
            return;
        }
        var expirations = new List<DateTime>();
        foreach (var token in LockTokens(request.Body))
        {
            var lockedUntil = queue.RenewLock(token);
            if (lockedUntil is null)
            {
                requestContext.Complete(Status(410, $"the lock {token} is lost", "com.microsoft:message-lock-lost"));
                return;
            }
            expirations.Add(lockedUntil.Value);
        }
        var response = Status(200, "OK", null);
        response.BodySection = new AmqpValue { Value = new Map { ["expirations"] = expirations.ToArray() } };
        requestContext.Complete(response);
    }

    private static IEnumerable<Guid> LockTokens(object? body)
    {
        if (body is not Map map) yield break;
        foreach (var key in map.Keys)
        {
            if (key?.ToString() != "lock-tokens" || map[key] is not IEnumerable tokens) continue;
            foreach (var token in tokens)
                if (token is Guid guid) yield return guid;
        }
    }

    private static Message Status(int code, string description, string? errorCondition)
    {
        var properties = new ApplicationProperties { ["statusCode"] = code, ["statusDescription"] = description };
        if (errorCondition is not null) properties["errorCondition"] = new Symbol(errorCondition);
        return new Message { ApplicationProperties = properties };
    }
}
