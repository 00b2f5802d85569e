// `pipeline worker`: the trainer container's entry point. Takes training requests from the queue one at a time and
// turns them into model versions; stops on SIGTERM (checkpoint, release, return the message) or when idle.
// Settings come from configuration (env Worker__*, Queue__*, PIPELINE_STORAGE); the flags below override them.
using System.CommandLine;
using Pipeline.Shared.Queues;
using Pipeline.Worker;

namespace Pipeline.Cli.Commands;

public static class WorkerCommand
{
    public static Command Create()
    {
        var storage = new Option<string?>("--storage") { Description = "storage connection string (default: env PIPELINE_STORAGE, else development storage)" };
        var transport = new Option<QueueTransport?>("--transport") { Description = "StorageQueue (default) or ServiceBus" };
        var queue = new Option<string?>("--queue") { Description = "queue name (default training-requests)" };
        var queueConnection = new Option<string?>("--queue-connection") { Description = "queue connection string (default: the storage one for StorageQueue)" };
        var workerId = new Option<string?>("--worker-id") { Description = "this worker's id; a restarted worker with the same id takes its run back at once" };
        var workDir = new Option<string?>("--work-dir") { Description = "local folder for runs in progress" };
        var cacheDir = new Option<string?>("--cache-dir") { Description = "local cache of base models" };
        var idleStop = new Option<double?>("--idle-stop-seconds") { Description = "stop after this many seconds without a request" };
        var lease = new Option<double?>("--lease-seconds") { Description = "run lease duration, 15..60 seconds" };
        var visibility = new Option<double?>("--visibility-timeout-seconds") { Description = "Storage Queue: how long a taken message stays invisible between renewals" };
        var maxDeliveries = new Option<int?>("--max-deliveries") { Description = "deliveries before a message is poisoned / dead-lettered" };
        var device = new Option<string?>("--device") { Description = "auto (default), cpu, cuda or cuda:N" };
        var cmd = new Command("worker", "Train queued requests into model versions until stopped or idle.")
        {
            storage, transport, queue, queueConnection, workerId, workDir, cacheDir, idleStop, lease, visibility, maxDeliveries, device,
        };
        cmd.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var overrides = new Dictionary<string, string?>();
            void Set(string key, object? value)
            {
                if (value is not null) overrides[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            Set(WorkerServiceCollectionExtensions.StorageConnectionKey, r.GetValue(storage));
            Set("Queue:Transport", r.GetValue(transport));
            Set("Queue:QueueName", r.GetValue(queue));
            Set("Queue:ConnectionString", r.GetValue(queueConnection));
            Set("Queue:MaxDeliveries", r.GetValue(maxDeliveries));
            if (r.GetValue(visibility) is { } v)
            {
                Set("Queue:VisibilityTimeout", TimeSpan.FromSeconds(v));
                Set("Queue:RenewalInterval", TimeSpan.FromSeconds(v / 3));
            }
            Set("Worker:WorkerId", r.GetValue(workerId));
            Set("Worker:WorkDirectory", r.GetValue(workDir));
            Set("Worker:CacheDirectory", r.GetValue(cacheDir));
            Set("Worker:IdleStopAfter", r.GetValue(idleStop) is { } idle ? TimeSpan.FromSeconds(idle) : null);
            Set("Worker:LeaseDuration", r.GetValue(lease) is { } l ? TimeSpan.FromSeconds(l) : null);
            Set("Worker:Device", r.GetValue(device));
            return await WorkerHost.RunAsync([], overrides, ct);
        });
        return cmd;
    }
}
