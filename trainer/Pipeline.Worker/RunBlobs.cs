// Blob names inside a run folder, built on StorageLayout.RunPrefix (runs/{target}/{runId}/).
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker;

public static class RunBlobs
{
    public static string Status(string target, string runId) => StorageLayout.RunPrefix(target, runId) + "status.json";

    /// <summary>Metrics of the starting model on the held-out split, kept so a resumed run does not evaluate it again.</summary>
    public static string MetricsBefore(string target, string runId) => StorageLayout.RunPrefix(target, runId) + "eval_before.json";

    /// <summary>The training log (metrics.jsonl) as of the newest uploaded checkpoint.</summary>
    public static string Metrics(string target, string runId) => StorageLayout.RunPrefix(target, runId) + "metrics.jsonl";

    public static string CheckpointsPrefix(string target, string runId) => StorageLayout.RunPrefix(target, runId) + "checkpoints/";

    /// <summary>runs/{target}/{runId}/checkpoints/step-NNNNNN/</summary>
    public static string CheckpointPrefix(string target, string runId, int step) => CheckpointsPrefix(target, runId) + $"step-{step:D6}/";

    /// <summary>The run id of a request: the same request (any delivery, any worker) is the same run.</summary>
    public static string RunId(TrainingRequest request) =>
        request.RequestId.StartsWith("req-", StringComparison.Ordinal) ? "run-" + request.RequestId[4..] : "run-" + request.RequestId;
}
