// A training request taken from the queue and held for the worker: settle it once (complete, abandon, defer,
// dead-letter), and keep it alive while the run lasts (RenewAsync, or StartKeepAlive for a background renewal loop).
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Queues;

public abstract class ReceivedRequest : IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _lost = new();
    private readonly TimeSpan _renewalInterval;
    private readonly DateTimeOffset _renewUntil;
    private readonly ILogger _logger;
    private CancellationTokenSource? _keepAliveStop;
    private Task? _keepAlive;

    protected ReceivedRequest(TrainingRequest request, string body, string messageId, int deliveryCount,
        QueueOptions options, ILogger logger)
    {
        Request = request;
        Body = body;
        MessageId = messageId;
        DeliveryCount = deliveryCount;
        _renewalInterval = options.RenewalInterval;
        _renewUntil = DateTimeOffset.UtcNow + options.MaxRenewalDuration;
        _logger = logger;
    }

    public TrainingRequest Request { get; }

    /// <summary>The message body exactly as the transport delivered it (base64 or JSON text).</summary>
    public string Body { get; }

    /// <summary>Transport message id (Service Bus: the request id, set by the publisher).</summary>
    public string MessageId { get; }

    /// <summary>1 on the first delivery; each abandon or expired lock adds one.</summary>
    public int DeliveryCount { get; }

    public bool IsSettled { get; private set; }

    /// <summary>Cancelled when the keep-alive loop learns that the message is no longer held (a run should stop).</summary>
    public CancellationToken LostToken => _lost.Token;

    /// <summary>When the message becomes visible / unlocked again unless renewed (as of the last renewal).</summary>
    public DateTimeOffset HeldUntil { get; protected set; }

    /// <summary>Removes the message from the queue: the request was handled.</summary>
    public Task CompleteAsync(CancellationToken cancellationToken = default) =>
        SettleAsync(ct => CompleteCoreAsync(ct), cancellationToken);

    /// <summary>Returns the message to the queue now; the next delivery has <see cref="DeliveryCount"/> + 1.</summary>
    public Task AbandonAsync(CancellationToken cancellationToken = default) =>
        SettleAsync(ct => AbandonCoreAsync(ct), cancellationToken);

    /// <summary>Longest deferral (a Storage Queue message can be hidden for at most 7 days).</summary>
    public static readonly TimeSpan MaxDeferral = TimeSpan.FromDays(7);

    /// <summary>
    /// Hands the message back to be delivered again no sooner than <paramref name="delay"/> (whole seconds, at least
    /// one), without counting as a failed delivery: a copy is enqueued, hidden until then, and only then is this one
    /// removed, so a crash in between leaves a duplicate, never a loss. For work that cannot start yet (a debounce
    /// window, another worker's run), not for failures: those <see cref="AbandonAsync"/> and count.
    /// </summary>
    public Task DeferAsync(TimeSpan delay, CancellationToken cancellationToken = default)
    {
        var seconds = Math.Clamp(Math.Ceiling(delay.TotalSeconds), 1, MaxDeferral.TotalSeconds);
        return SettleAsync(ct => DeferCoreAsync(TimeSpan.FromSeconds(seconds), ct), cancellationToken);
    }

    /// <summary>Moves the message to the poison / dead-letter queue with a short reason and a human description.</summary>
    public Task DeadLetterAsync(string reason, string description, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return SettleAsync(ct => DeadLetterCoreAsync(reason, description, ct), cancellationToken);
    }

    /// <summary>Extends the hold on the message; returns the new <see cref="HeldUntil"/>.</summary>
    public async Task<DateTimeOffset> RenewAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (IsSettled) throw new InvalidOperationException($"queue message {MessageId} is already settled.");
            HeldUntil = await RenewCoreAsync(cancellationToken);
            return HeldUntil;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Renews the message every <see cref="QueueOptions.RenewalInterval"/> in the background until it is settled,
    /// disposed, or <see cref="QueueOptions.MaxRenewalDuration"/> has passed since it was received.
    /// </summary>
    public void StartKeepAlive()
    {
        if (_keepAlive is not null) return;
        _keepAliveStop = new CancellationTokenSource();
        _keepAlive = KeepAliveAsync(_keepAliveStop.Token);
    }

    private async Task KeepAliveAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_renewalInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (DateTimeOffset.UtcNow >= _renewUntil)
                {
                    _logger.LogWarning("Stopped renewing queue message {MessageId}: held for the maximum renewal duration; it reappears after {HeldUntil}", MessageId, HeldUntil);
                    return;
                }
                try
                {
                    // Not cancelled by stop: a renewal in flight finishes, so the pop receipt / lock stays known.
                    var until = await RenewAsync(CancellationToken.None);
                    _logger.LogDebug("Renewed queue message {MessageId} until {HeldUntil}", MessageId, until);
                }
                catch (QueueMessageLostException e)
                {
                    _logger.LogWarning(e, "Lost queue message {MessageId}; its run should stop", MessageId);
                    await _lost.CancelAsync();
                    return;
                }
                catch (InvalidOperationException) when (IsSettled)
                {
                    return; // settled between the tick and the renewal
                }
                catch (Exception e)
                {
                    // A transient fault: the message is still held until HeldUntil, so try again at the next tick.
                    _logger.LogWarning(e, "Renewing queue message {MessageId} failed; retrying in {RenewalInterval}", MessageId, _renewalInterval);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped by settle or dispose.
        }
    }

    private async Task StopKeepAliveAsync()
    {
        if (_keepAlive is null) return;
        await _keepAliveStop!.CancelAsync();
        await _keepAlive;
        _keepAlive = null;
        _keepAliveStop.Dispose();
        _keepAliveStop = null;
    }

    private async Task SettleAsync(Func<CancellationToken, Task> settle, CancellationToken cancellationToken)
    {
        await StopKeepAliveAsync();
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (IsSettled) throw new InvalidOperationException($"queue message {MessageId} is already settled.");
            await settle(cancellationToken);
            IsSettled = true;
        }
        finally
        {
            _gate.Release();
        }
    }

    protected abstract Task CompleteCoreAsync(CancellationToken cancellationToken);
    protected abstract Task AbandonCoreAsync(CancellationToken cancellationToken);
    protected abstract Task DeadLetterCoreAsync(string reason, string description, CancellationToken cancellationToken);

    /// <summary>Enqueues a copy of the message hidden for <paramref name="delay"/>, then removes this one.</summary>
    protected abstract Task DeferCoreAsync(TimeSpan delay, CancellationToken cancellationToken);

    /// <summary>Extends the hold; throws <see cref="QueueMessageLostException"/> when the message is no longer held.</summary>
    protected abstract Task<DateTimeOffset> RenewCoreAsync(CancellationToken cancellationToken);

    /// <summary>Stops the keep-alive loop without settling: an unsettled message reappears when its hold runs out.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopKeepAliveAsync();
        _lost.Dispose();
        GC.SuppressFinalize(this);
    }
}
