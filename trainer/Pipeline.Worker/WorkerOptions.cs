// Options of the trainer worker (section "Worker"), validated at start: identity, local folders, lease and status
// timing, idle stop. Units are in the names or the types (TimeSpan).
namespace Pipeline.Worker;

public sealed record WorkerOptions
{
    public const string SectionName = "Worker";

    /// <summary>Names this worker in leases and status. A restarted container that keeps its id takes its run back at
    /// once (the lease id derives from it); two live workers must never share one.</summary>
    public string WorkerId { get; init; } = $"{Environment.MachineName}-{Environment.ProcessId}";

    /// <summary>Local folder for runs in progress (datasets, checkpoints, outputs); safe to lose.</summary>
    public string WorkDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "pipeline-worker", "runs");

    /// <summary>Local cache of base models and parent versions, keyed by their remote identity and verified by hash.</summary>
    public string CacheDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "pipeline-worker", "cache");

    /// <summary>Blob lease on the run (15..60 s, Azure's limits); renewed every third of it.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Least time between two progress writes of status.json (writes are asynchronous, off the step path).</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the local checkpoint folder is looked at for new checkpoints to upload.</summary>
    public TimeSpan CheckpointPollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait for one message before checking idleness and shutdown.</summary>
    public TimeSpan ReceiveWait { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Stop the process after this long without a message (a scaled job can end); null runs until stopped.</summary>
    public TimeSpan? IdleStopAfter { get; init; }

    /// <summary>Stop after this many requests were handled (a scaled job runs one); null serves until stopped or idle.</summary>
    public int? MaxRuns { get; init; }

    /// <summary>File touched while the worker polls and while a run reports (container health check); null: none.
    /// Defaults to env PIPELINE_HEARTBEAT_FILE.</summary>
    public string? HeartbeatFile { get; init; } = Environment.GetEnvironmentVariable("PIPELINE_HEARTBEAT_FILE") is { Length: > 0 } f ? f : null;

    /// <summary>How long a stop (SIGTERM) may take: checkpoint, upload, release the lease, return the message.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>"cpu", "cuda" or "cuda:N"; "auto" picks CUDA when present.</summary>
    public string Device { get; init; } = "auto";

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(WorkerId)) p.Add("Worker:WorkerId is empty");
        if (string.IsNullOrWhiteSpace(WorkDirectory)) p.Add("Worker:WorkDirectory is empty");
        if (string.IsNullOrWhiteSpace(CacheDirectory)) p.Add("Worker:CacheDirectory is empty");
        if (LeaseDuration < TimeSpan.FromSeconds(15) || LeaseDuration > TimeSpan.FromSeconds(60))
            p.Add($"Worker:LeaseDuration {LeaseDuration} must be between 15 and 60 seconds (blob lease limits)");
        if (StatusInterval <= TimeSpan.Zero) p.Add("Worker:StatusInterval must be positive");
        if (CheckpointPollInterval <= TimeSpan.Zero) p.Add("Worker:CheckpointPollInterval must be positive");
        if (ReceiveWait <= TimeSpan.Zero) p.Add("Worker:ReceiveWait must be positive");
        if (MaxRuns is < 1) p.Add("Worker:MaxRuns must be at least 1 when set");
        if (ShutdownTimeout <= TimeSpan.Zero) p.Add("Worker:ShutdownTimeout must be positive");
        if (IdleStopAfter is { } idle && idle <= TimeSpan.Zero) p.Add("Worker:IdleStopAfter must be positive when set");
        if (Device is not ("auto" or "cpu") && !Device.StartsWith("cuda", StringComparison.Ordinal))
            p.Add($"Worker:Device '{Device}' must be auto, cpu, cuda or cuda:N");
        return p;
    }

    /// <summary>Settings that each pass alone but cannot work together with the queue's. A Storage Queue message
    /// reappears one visibility timeout after its last renewal; if that can come before the dead worker's run lease
    /// has expired (lease + one renewal interval), every redelivery of a killed run finds it still held.</summary>
    public IReadOnlyList<string> Problems(Shared.Queues.QueueOptions queue)
    {
        var p = new List<string>();
        if (queue.Transport == Shared.Queues.QueueTransport.StorageQueue && queue.VisibilityTimeout <= LeaseDuration + queue.RenewalInterval)
            p.Add($"Queue:VisibilityTimeout ({queue.VisibilityTimeout}) must be longer than Worker:LeaseDuration ({LeaseDuration}) + " +
                  $"Queue:RenewalInterval ({queue.RenewalInterval}): a dead worker's message must not reappear while its run's lease still holds");
        return p;
    }
}
