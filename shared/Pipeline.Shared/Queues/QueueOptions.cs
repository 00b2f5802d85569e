// Options of the training-request queue (section "Queue"): which transport, where it is, and how deliveries are kept
// alive and given up on. Validated at start by QueueOptionsValidator.
namespace Pipeline.Shared.Queues;

public enum QueueTransport
{
    /// <summary>Azure Storage Queue: the local default (Azurite) and the cheap cloud option.</summary>
    StorageQueue,

    /// <summary>Azure Service Bus: the cloud transport (duplicate detection, dead-letter queue, lock renewal).</summary>
    ServiceBus,
}

public sealed record QueueOptions
{
    public const string SectionName = "Queue";

    /// <summary>Which transport carries training requests.</summary>
    public QueueTransport Transport { get; init; } = QueueTransport.StorageQueue;

    /// <summary>Queue name; the Storage Queue transport poisons to "{QueueName}-poison".</summary>
    public string QueueName { get; init; } = "training-requests";

    /// <summary>Connection string (Storage account or Service Bus namespace). Leave empty for identity-based access.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>Identity-based Storage Queue access: the queue service URI, e.g. https://acct.queue.core.windows.net.</summary>
    public Uri? QueueServiceUri { get; init; }

    /// <summary>Identity-based Service Bus access: the namespace, e.g. my-namespace.servicebus.windows.net.</summary>
    public string? FullyQualifiedNamespace { get; init; }

    /// <summary>A message delivered more often than this goes to the poison / dead-letter queue instead of the worker.</summary>
    public int MaxDeliveries { get; init; } = 5;

    /// <summary>Storage Queue: how long a received message stays invisible; each renewal extends it by this much again.</summary>
    public TimeSpan VisibilityTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a held message is renewed (Storage visibility or Service Bus lock). Keep it well below the
    /// visibility timeout and the Service Bus queue's lock duration (30 s to 5 min; the default 20 s fits them all).</summary>
    public TimeSpan RenewalInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Longest time a held message is kept alive in total (Service Bus MaxAutoLockRenewalDuration; also Storage).</summary>
    public TimeSpan MaxRenewalDuration { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Storage Queue: pause between polls of an empty queue while waiting for a message.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Storage Queue name of the poison queue.</summary>
    public string PoisonQueueName => QueueName + "-poison";
}
