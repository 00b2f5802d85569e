// The pipeline's one ActivitySource and Meter ("Pipeline") and the metric instruments every host records into.
// Ingest, the queue hop and the trainer run share one trace; metrics follow OpenTelemetry naming with units.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Telemetry;

public static class PipelineTelemetry
{
    /// <summary>Name of both the ActivitySource and the Meter; exporters subscribe to it.</summary>
    public const string Name = "Pipeline";

    public static readonly ActivitySource Source = new(Name);
    public static readonly Meter Meter = new(Name);

    /// <summary>Seconds from a request's created_at to the moment a trainer picked it up.</summary>
    public static readonly Histogram<double> QueueLag = Meter.CreateHistogram<double>(
        "pipeline.queue.lag", unit: "s", description: "Time a training request waited on the queue.");

    /// <summary>Wall-clock seconds of one training run, tagged with its outcome.</summary>
    public static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>(
        "pipeline.run.duration", unit: "s", description: "Duration of a training run.");

    /// <summary>Training throughput of a run (prompt + completion tokens per second).</summary>
    public static readonly Histogram<double> TokensPerSecond = Meter.CreateHistogram<double>(
        "pipeline.train.tokens_per_second", unit: "{token}/s", description: "Training throughput.");

    /// <summary>Failures by stage (ingest, train, publish) and reason.</summary>
    public static readonly Counter<long> Failures = Meter.CreateCounter<long>(
        "pipeline.failures", unit: "{failure}", description: "Failed ingestions and runs.");

    public static void RecordQueueLag(TrainingRequest request, DateTimeOffset pickedUpAt) =>
        QueueLag.Record(Math.Max(0, (pickedUpAt - request.CreatedAt).TotalSeconds),
            new KeyValuePair<string, object?>(Tags.Target, request.Target));

    public static void RecordRunDuration(string target, TimeSpan duration, string outcome) =>
        RunDuration.Record(duration.TotalSeconds,
            new KeyValuePair<string, object?>(Tags.Target, target),
            new KeyValuePair<string, object?>(Tags.Outcome, outcome));

    public static void RecordTokensPerSecond(string target, double tokensPerSecond) =>
        TokensPerSecond.Record(tokensPerSecond, new KeyValuePair<string, object?>(Tags.Target, target));

    public static void RecordFailure(string stage, string target, string reason) =>
        Failures.Add(1,
            new KeyValuePair<string, object?>(Tags.Stage, stage),
            new KeyValuePair<string, object?>(Tags.Target, target),
            new KeyValuePair<string, object?>(Tags.Reason, reason));

    /// <summary>Stable tag names shared by spans and metrics.</summary>
    public static class Tags
    {
        public const string Target = "pipeline.target";
        public const string RequestId = "pipeline.request_id";
        public const string File = "pipeline.file";
        public const string DatasetIds = "pipeline.dataset_ids";
        public const string Outcome = "pipeline.outcome";
        public const string Stage = "pipeline.stage";
        public const string Reason = "pipeline.reason";
        public const string TraceParentInvalid = "pipeline.traceparent_invalid";
    }
}
