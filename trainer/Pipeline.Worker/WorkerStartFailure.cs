// What the worker does when it cannot start (invalid settings, no GPU, a storage role missing): say why on stderr,
// count it in pipeline.failures (stage "start"), and hand one waiting request back to the queue so its delivery count
// rises. A broken image then dead-letters the request after the queue's delivery limit instead of KEDA starting GPU
// executions for it forever; the caller exits non-zero at once.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.Composition;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Worker;

public static class WorkerStartFailure
{
    /// <summary>How long handing a request back may take before the process exits anyway.</summary>
    public static readonly TimeSpan ReturnTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Reports <paramref name="reason"/> and returns one waiting request to the queue (when the queue itself
    /// can be reached); never throws.</summary>
    public static async Task ReportAsync(string reason, IConfiguration configuration, IServiceProvider? host)
    {
        await Console.Error.WriteLineAsync($"worker: cannot start: {reason}");
        var log = host?.GetService<ILoggerFactory>()?.CreateLogger("Pipeline.Worker.Start") ?? NullLogger.Instance;
        log.LogCritical("Worker cannot start: {Reason}", reason);
        PipelineTelemetry.RecordFailure(WorkerHost.StartFailureStage, "", reason.Length > 200 ? reason[..200] : reason);
        try
        {
            using var timeout = new CancellationTokenSource(ReturnTimeout);
            // The queue alone, composed apart from the worker whose composition just failed.
            await using var queue = new ServiceCollection().AddLogging().AddTrainingRequestQueue(configuration).BuildServiceProvider();
            await using var consumer = queue.GetRequiredService<ITrainingRequestConsumer>();
            var message = await consumer.ReceiveAsync(TimeSpan.FromSeconds(5), timeout.Token);
            if (message is null) return;
            await using (message)
                await message.AbandonAsync(timeout.Token);
            await Console.Error.WriteLineAsync(
                $"worker: returned request {message.Request.RequestId} to the queue (delivery {message.DeliveryCount}): it is dead-lettered once it reaches the delivery limit");
        }
        catch (Exception e)
        {
            await Console.Error.WriteLineAsync($"worker: could not return a request to the queue either: {e.GetType().Name}: {e.Message}");
        }
    }
}
