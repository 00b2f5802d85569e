// The pipeline's one ActivitySource and Meter ("Pipeline") and the metric instruments every host records into.
// Ingest, the queue hop and the trainer run share one trace; metrics follow OpenTelemetry naming with units.
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Telemetry;

public static partial class PipelineTelemetry
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

    /// <summary>Counts a failure. <paramref name="reason"/> must be a stable code (lower snake case: "quarantined",
    /// "nan_loss"); anything else (an exception message, a path) is recorded as "other", so a metric tag never takes
    /// as many values as there are messages. The target tag keeps only valid target names.</summary>
    public static void RecordFailure(string stage, string target, string reason) =>
        Failures.Add(1,
            new KeyValuePair<string, object?>(Tags.Stage, Code(stage)),
            new KeyValuePair<string, object?>(Tags.Target, TargetName.Problem(target) is null ? target : OtherValue),
            new KeyValuePair<string, object?>(Tags.Reason, Code(reason)));

    /// <summary>Counts a failure by the exception's type ("format_exception"), never its message.</summary>
    public static void RecordFailure(string stage, string target, Exception failure) =>
        RecordFailure(stage, target, SnakeCase(failure.GetType().Name));

    /// <summary>The tag value for anything that is not a stable code.</summary>
    public const string OtherValue = "other";

    private static string Code(string value) => CodePattern().IsMatch(value) ? value : OtherValue;

    private static string SnakeCase(string typeName) =>
        string.Concat(typeName.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));

    [GeneratedRegex(@"\A[a-z][a-z0-9_]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex CodePattern();

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
