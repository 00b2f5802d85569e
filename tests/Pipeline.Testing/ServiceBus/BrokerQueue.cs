// A queue of the test broker: available messages in sequence order, peek-locked ones by lock token, the links that
// take deliveries, and the dead-letter sub-queue. Every state change happens under one lock.
using Amqp;
using Amqp.Framing;
using Amqp.Types;

namespace Pipeline.Testing.ServiceBus;

public sealed class BrokerQueue
{
    private readonly object _sync = new();
    private readonly SortedList<long, StoredMessage> _available = new();
    private readonly Dictionary<Guid, (StoredMessage Message, DateTime LockedUntilUtc)> _locked = new();
    private readonly List<OutgoingLinkEndpoint> _consumers = new();
    private readonly List<(DateTime AvailableAtUtc, StoredMessage Message)> _scheduled = new();
    private long _nextSequence;
    private int _completed;

    internal BrokerQueue(string name, TimeSpan lockDuration, BrokerQueue? deadLetter)
    {
        Name = name;
        LockDuration = lockDuration;
        DeadLetter = deadLetter;
    }

    public string Name { get; }
    public TimeSpan LockDuration { get; }

    /// <summary>The "{queue}/$DeadLetterQueue" sub-queue; null for a dead-letter queue itself.</summary>
    public BrokerQueue? DeadLetter { get; }

    public int ActiveCount { get { lock (_sync) return _available.Count + _locked.Count; } }
    /// <summary>Messages sent with a scheduled enqueue time still in the future (not active, as in Service Bus).</summary>
    public int ScheduledCount { get { lock (_sync) return _scheduled.Count; } }
    public int LockedCount { get { lock (_sync) return _locked.Count; } }
    public int CompletedCount { get { lock (_sync) return _completed; } }

    internal void Enqueue(byte[] encoded, uint failedDeliveries = 0, DateTime? availableAtUtc = null)
    {
        lock (_sync)
        {
            var sequence = ++_nextSequence;
            var stored = new StoredMessage(sequence, encoded, DateTime.UtcNow, failedDeliveries);
            if (availableAtUtc is { } at && at > DateTime.UtcNow) _scheduled.Add((at, stored));
            else _available.Add(sequence, stored);
        }
        Pump();
    }

    internal void AddConsumer(OutgoingLinkEndpoint consumer)
    {
        lock (_sync) _consumers.Add(consumer);
    }

    internal void RemoveConsumer(OutgoingLinkEndpoint consumer)
    {
        lock (_sync) _consumers.Remove(consumer);
    }

    /// <summary>Hands available messages to links with credit, each locked under a fresh lock token.</summary>
    internal void Pump()
    {
        var deliveries = new List<(OutgoingLinkEndpoint Link, Message Message)>();
        lock (_sync)
        {
            foreach (var consumer in _consumers)
            {
                while (consumer.Credit > 0 && _available.Count > 0)
                {
                    var stored = _available.Values[0];
                    _available.RemoveAt(0);
                    var lockToken = Guid.NewGuid();
                    var lockedUntil = DateTime.UtcNow + LockDuration;
                    _locked[lockToken] = (stored, lockedUntil);
                    var message = stored.ForDelivery(lockedUntil);
                    BrokerProtocolHandler.LockTokens.Add(message, lockToken.ToByteArray());
                    consumer.Credit--;
                    deliveries.Add((consumer, message));
                }
            }
        }
        foreach (var (link, message) in deliveries) link.Send(message);
    }

    /// <summary>Drops a draining link's unused credit.</summary>
    internal void ForfeitCredit(OutgoingLinkEndpoint consumer)
    {
        lock (_sync) consumer.Credit = 0;
    }

    /// <summary>Applies the receiver's outcome; false when the lock token is unknown (lock expired or settled).</summary>
    internal bool Settle(Guid lockToken, DeliveryState? outcome)
    {
        lock (_sync)
        {
            if (!_locked.Remove(lockToken, out var held)) return false;
            var stored = held.Message;
            switch (outcome)
            {
                case Accepted:
                    _completed++;
                    break;
                case Rejected rejected:
                    DeadLetter?.Enqueue(stored.DeadLettered(Info(rejected.Error, "DeadLetterReason"), Info(rejected.Error, "DeadLetterErrorDescription")));
                    break;
                default: // Released or Modified: abandon, the next delivery counts one more.
                    _available.Add(stored.SequenceNumber, stored with { FailedDeliveries = stored.FailedDeliveries + 1 });
                    break;
            }
        }
        Pump();
        return true;
    }

    internal DateTime? RenewLock(Guid lockToken)
    {
        lock (_sync)
        {
            if (!_locked.TryGetValue(lockToken, out var held) || held.LockedUntilUtc < DateTime.UtcNow) return null;
            var lockedUntil = DateTime.UtcNow + LockDuration;
            _locked[lockToken] = (held.Message, lockedUntil);
            return lockedUntil;
        }
    }

    /// <summary>Returns messages whose lock ran out to the queue, counting the failed delivery, and makes scheduled
    /// messages whose time has come available.</summary>
    internal void ExpireLocks(DateTime nowUtc)
    {
        var expired = false;
        lock (_sync)
        {
            foreach (var due in _scheduled.Where(s => s.AvailableAtUtc <= nowUtc).ToList())
            {
                _scheduled.Remove(due);
                _available.Add(due.Message.SequenceNumber, due.Message);
                expired = true;
            }
            foreach (var (token, held) in _locked.Where(l => l.Value.LockedUntilUtc < nowUtc).ToList())
            {
                _locked.Remove(token);
                _available.Add(held.Message.SequenceNumber, held.Message with { FailedDeliveries = held.Message.FailedDeliveries + 1 });
                expired = true;
            }
        }
        if (expired) Pump();
    }

    private static string? Info(Error? error, string key)
    {
        if (error?.Info is null) return null;
        foreach (var entry in error.Info)
            if (entry.Key is Symbol symbol && (string)symbol == key || entry.Key as string == key)
                return entry.Value?.ToString();
        return null;
    }
}
