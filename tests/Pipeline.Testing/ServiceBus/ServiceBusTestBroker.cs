// An in-process AMQP 1.0 broker (AMQPNetLite) that speaks the subset of Service Bus the unmodified
// Azure.Messaging.ServiceBus client needs: SASL MSSBCBS, $cbs put-token, send, peek-lock receive, complete, abandon,
// dead-letter to "{queue}/$DeadLetterQueue", renew-lock over "{queue}/$management", lock expiry, delivery counts.
// Loopback only, on a free port; for tests, never for data.
using System.Collections.Concurrent;
using Amqp.Listener;

namespace Pipeline.Testing.ServiceBus;

public sealed class ServiceBusTestBroker : IDisposable
{
    public const string DeadLetterSuffix = "/$DeadLetterQueue";

    private readonly ContainerHost _host;
    private readonly ConcurrentDictionary<string, BrokerQueue> _queues = new(StringComparer.OrdinalIgnoreCase);
    private readonly Timer _lockExpiry;

    /// <param name="lockDuration">Peek-lock duration of every queue (Service Bus default: 30 s; tests use less).</param>
    public ServiceBusTestBroker(TimeSpan? lockDuration = null)
    {
        LockDuration = lockDuration ?? TimeSpan.FromSeconds(30);
        Port = AzuriteFixture.FreePort();
        _host = new ContainerHost(new Amqp.Address($"amqp://127.0.0.1:{Port}"));
        var listener = _host.Listeners[0];
        listener.SASL.EnableMechanism(CbsSaslProfile.Name, new CbsSaslProfile());
        listener.HandlerFactory = _ => new BrokerProtocolHandler();
        _host.RegisterRequestProcessor(CbsRequestProcessor.Address, new CbsRequestProcessor());
        _host.RegisterLinkProcessor(new QueueLinkProcessor(name => _queues.GetValueOrDefault(name)));
        _host.Open();
        _lockExpiry = new Timer(_ => ExpireLocks(), null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
    }

    public int Port { get; }
    public TimeSpan LockDuration { get; }

    /// <summary>The development-emulator form: plain AMQP on loopback, any key accepted.</summary>
    public string ConnectionString =>
        $"Endpoint=sb://127.0.0.1:{Port};SharedAccessKeyName=k;SharedAccessKey=v;UseDevelopmentEmulator=true;";

    /// <summary>Creates a queue, its dead-letter sub-queue and its management node.</summary>
    public BrokerQueue CreateQueue(string name)
    {
        var deadLetter = new BrokerQueue(name + DeadLetterSuffix, LockDuration, deadLetter: null);
        var queue = new BrokerQueue(name, LockDuration, deadLetter);
        if (!_queues.TryAdd(name, queue)) throw new InvalidOperationException($"queue '{name}' exists already");
        _queues[deadLetter.Name] = deadLetter;
        _host.RegisterRequestProcessor(name + "/$management", new ManagementRequestProcessor(queue));
        return queue;
    }

    public BrokerQueue Queue(string name) =>
        _queues.TryGetValue(name, out var queue) ? queue : throw new KeyNotFoundException($"no queue '{name}'");

    private void ExpireLocks()
    {
        var now = DateTime.UtcNow;
        foreach (var queue in _queues.Values) queue.ExpireLocks(now);
    }

    public void Dispose()
    {
        _lockExpiry.Dispose();
        _host.Close();
    }
}
