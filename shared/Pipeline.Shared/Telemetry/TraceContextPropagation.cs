// Carries W3C trace context across the queue: the publisher stamps TrainingRequest.TraceParent, the trainer
// starts its run span as a child of it, so ingest -> message -> run is one trace.
using System.Diagnostics;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Telemetry;

public static class TraceContextPropagation
{
    /// <summary>
    /// Starts the ingest span for a file that landed in incoming/ (the root of the pipeline's trace, kind Consumer:
    /// it handles a blob event). Publish requests inside it so they carry its context.
    /// </summary>
    public static Activity? StartIngestActivity(string target, string fileName)
    {
        var activity = PipelineTelemetry.Source.StartActivity("ingest", ActivityKind.Consumer);
        activity?.SetTag(PipelineTelemetry.Tags.Target, target);
        activity?.SetTag(PipelineTelemetry.Tags.File, fileName);
        return activity;
    }

    /// <summary>
    /// Returns the request with <see cref="TrainingRequest.TraceParent"/> set from <paramref name="activity"/>
    /// (default: <see cref="Activity.Current"/>); unchanged when there is no W3C activity to carry.
    /// </summary>
    public static TrainingRequest WithTraceContext(this TrainingRequest request, Activity? activity = null)
    {
        activity ??= Activity.Current;
        if (activity is null || activity.IdFormat != ActivityIdFormat.W3C) return request;
        return request with { TraceParent = activity.Id };
    }

    /// <summary>The parent context carried by the request, or null when it has none or it is malformed.</summary>
    public static ActivityContext? ParentContext(this TrainingRequest request) =>
        request.TraceParent is { Length: > 0 } traceParent
        && ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var context)
            ? context
            : null;

    /// <summary>
    /// Starts the trainer-side span for a request (kind Consumer) as a child of the publisher's span. A missing or
    /// malformed traceparent starts a new trace and is tagged, never thrown: telemetry must not fail a run.
    /// Returns null when nobody listens to <see cref="PipelineTelemetry.Source"/>.
    /// </summary>
    public static Activity? StartConsumerActivity(this TrainingRequest request, string name = "trainer.run")
    {
        var parent = request.ParentContext();
        var activity = PipelineTelemetry.Source.StartActivity(name, ActivityKind.Consumer, parent ?? default);
        if (activity is null) return null;
        activity.SetTag(PipelineTelemetry.Tags.RequestId, request.RequestId);
        activity.SetTag(PipelineTelemetry.Tags.Target, request.Target);
        activity.SetTag(PipelineTelemetry.Tags.DatasetIds, string.Join(",", request.DatasetIds));
        if (parent is null && request.TraceParent is { Length: > 0 })
            activity.SetTag(PipelineTelemetry.Tags.TraceParentInvalid, request.TraceParent);
        return activity;
    }
}
