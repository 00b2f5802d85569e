// The worker host's loop: one request at a time from the queue, through the coordinator, then settled. One run per
// container: while it trains, other requests stay on the queue for other containers. A request that cannot start yet
// (debounce, a run held elsewhere) is deferred back to the queue at once, so it never blocks the requests behind it.
// Stops by itself after WorkerOptions.IdleStopAfter without a message, so a scaled job ends when the queue is empty.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker;

public sealed class TrainerWorker(
    ITrainingRequestConsumer consumer, RunCoordinator coordinator, BlobServiceClient blobs, Heartbeat heartbeat,
    IOptions<WorkerOptions> options, IHostApplicationLifetime lifetime, ILogger<TrainerWorker> log) : BackgroundService
{
    private readonly WorkerOptions _options = options.Value;

    /// <summary>Messages taken and how each was settled, in order (for the command line's summary and tests).</summary>
    public List<RunDisposition> Handled { get; } = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (var container in new[] { StorageLayout.Runs, StorageLayout.Models })
            await blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync(cancellationToken: stoppingToken);
        log.LogInformation("Worker {WorkerId} waiting for training requests", _options.WorkerId);
        var lastWork = DateTimeOffset.UtcNow;
        while (!stoppingToken.IsCancellationRequested)
        {
            heartbeat.Touch();
            ReceivedRequest? message;
            try
            {
                message = await consumer.ReceiveAsync(_options.ReceiveWait, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (StorageRetry.IsTransient(e) || e is Azure.Messaging.ServiceBus.ServiceBusException { IsTransient: true })
            {
                // An unreachable queue counts as an idle one: a job replica never waits out its whole timeout on it.
                log.LogWarning(e, "The queue is unreachable; trying again");
                await Task.Delay(_options.ReceiveWait, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                message = null;
            }
            if (message is null)
            {
                if (_options.IdleStopAfter is { } idle && DateTimeOffset.UtcNow - lastWork >= idle)
                {
                    log.LogInformation("No training request for {Idle}; stopping", idle);
                    lifetime.StopApplication();
                    break;
                }
                continue;
            }
            await using (message)
            {
                var disposition = await coordinator.HandleAsync(message, stoppingToken);
                await SettleAsync(message, disposition);
                lock (Handled) Handled.Add(disposition);
            }
            lastWork = DateTimeOffset.UtcNow;
            // A deferral did no work: a job started for one request keeps polling until it settles one for good.
            int settled;
            lock (Handled) settled = Handled.Count(h => h.Settlement != RunSettlement.Defer);
            if (_options.MaxRuns is { } max && settled >= max)
            {
                log.LogInformation("Handled {Count} requests (Worker:MaxRuns); stopping", settled);
                lifetime.StopApplication();
                break;
            }
        }
    }

    private async Task SettleAsync(ReceivedRequest message, RunDisposition d)
    {
        if (d.Settlement == RunSettlement.Defer)
            log.LogInformation("Request {RequestId} (run {RunId}): Defer for {Delay}, {Reason}", message.Request.RequestId, d.RunId, d.Delay, d.Reason);
        else
            log.LogInformation("Request {RequestId} (run {RunId}): {Settlement}, {Reason}", message.Request.RequestId, d.RunId, d.Settlement, d.Reason);
        try
        {
            switch (d.Settlement)
            {
                case RunSettlement.Complete: await message.CompleteAsync(CancellationToken.None); break;
                case RunSettlement.DeadLetter: await message.DeadLetterAsync("run_failed", d.Reason, CancellationToken.None); break;
                case RunSettlement.Abandon: await message.AbandonAsync(CancellationToken.None); break;
                case RunSettlement.Defer: await message.DeferAsync(d.Delay, CancellationToken.None); break;
                case RunSettlement.Leave: break; // reappears when its hold runs out
            }
        }
        catch (Exception e) when (e is QueueMessageLostException || StorageRetry.IsTransient(e) || e is Azure.Messaging.ServiceBus.ServiceBusException)
        {
            // The message is no longer ours or the queue is down: it reappears, and the run's status decides what the
            // next delivery does (a finished run is acknowledged without work).
            log.LogWarning(e, "Could not settle request {RequestId} ({Settlement}); it will be delivered again", message.Request.RequestId, d.Settlement);
        }
    }
}
