// Trace context crosses the queue inside TrainingRequest JSON and the trainer's span joins the publisher's trace.
using System.Diagnostics;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Shared.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class TraceContextPropagationTests : IDisposable
{
    private readonly List<Activity> _stopped = [];
    private readonly ActivityListener _listener;

    public TraceContextPropagationTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == PipelineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { lock (_stopped) _stopped.Add(a); },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Dispose() => _listener.Dispose();

    private static TrainingRequest Request() => new()
    {
        RequestId = TrainingRequest.DeriveId("support-bot", ["ds-1"], ""),
        Target = "support-bot",
        DatasetIds = ["ds-1"],
    };

    [Fact]
    public void Trace_id_survives_a_round_trip_through_training_request_json()
    {
        using var ingest = PipelineTelemetry.Source.StartActivity("ingest.publish", ActivityKind.Producer)!;

        var sent = Request().WithTraceContext();
        var received = TrainingRequest.Parse(sent.ToJson());

        Assert.Equal(ingest.Id, received.TraceParent);
        Assert.Equal(ingest.TraceId, received.ParentContext()!.Value.TraceId);
        Assert.Equal(ingest.SpanId, received.ParentContext()!.Value.SpanId);
    }

    [Fact]
    public void Trainer_span_is_a_consumer_child_of_the_publisher_span()
    {
        string json;
        ActivityTraceId traceId;
        ActivitySpanId publisherSpan;
        using (var ingest = PipelineTelemetry.Source.StartActivity("ingest.publish", ActivityKind.Producer)!)
        {
            json = Request().WithTraceContext().ToJson();
            traceId = ingest.TraceId;
            publisherSpan = ingest.SpanId;
        }
        Assert.Null(Activity.Current);

        using (var run = TrainingRequest.Parse(json).StartConsumerActivity())
        {
            Assert.NotNull(run);
        }

        var trainer = Assert.Single(_stopped, a => a.OperationName == "trainer.run");
        Assert.Equal(traceId, trainer.TraceId);
        Assert.Equal(publisherSpan, trainer.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, trainer.Kind);
        Assert.Equal("support-bot", trainer.GetTagItem(PipelineTelemetry.Tags.Target));
        Assert.Equal("ds-1", trainer.GetTagItem(PipelineTelemetry.Tags.DatasetIds));
    }

    [Fact]
    public void Ingest_run_and_publish_form_one_trace_from_the_file_to_the_trainer()
    {
        string json;
        ActivityTraceId traceId;
        using (var ingest = TraceContextPropagation.StartIngestActivity("support-bot", "incoming/support-bot/pairs.jsonl"))
        {
            Assert.NotNull(ingest);
            traceId = ingest.TraceId;
            json = Request().WithTraceContext().ToJson();
        }

        using (TrainingRequest.Parse(json).StartConsumerActivity()) { }

        var ingestSpan = Assert.Single(_stopped, a => a.OperationName == "ingest");
        var runSpan = Assert.Single(_stopped, a => a.OperationName == "trainer.run");
        Assert.Equal(traceId, runSpan.TraceId);
        Assert.Equal(ingestSpan.SpanId, runSpan.ParentSpanId);
        Assert.Equal("incoming/support-bot/pairs.jsonl", ingestSpan.GetTagItem(PipelineTelemetry.Tags.File));
    }

    [Fact]
    public void Malformed_traceparent_starts_a_new_trace_and_is_tagged_instead_of_failing_the_run()
    {
        var request = Request() with { TraceParent = "00-not-a-trace-01" };

        using var run = request.StartConsumerActivity();

        Assert.NotNull(run);
        Assert.Equal(default, run.ParentSpanId);
        Assert.Equal("00-not-a-trace-01", run.GetTagItem(PipelineTelemetry.Tags.TraceParentInvalid));
    }

    [Fact]
    public void Request_without_a_current_activity_carries_no_traceparent()
    {
        Assert.Null(Activity.Current);

        var request = Request().WithTraceContext();

        Assert.Null(request.TraceParent);
        Assert.Null(request.ParentContext());
    }
}
