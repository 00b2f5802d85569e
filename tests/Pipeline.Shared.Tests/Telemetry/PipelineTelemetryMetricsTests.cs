// The metric instruments the issue names exist on the "Pipeline" meter and record what the helpers are given.
using System.Diagnostics.Metrics;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Telemetry;

namespace Pipeline.Shared.Tests.Telemetry;

[Collection(TelemetryCollection.Name)]
public sealed class PipelineTelemetryMetricsTests : IDisposable
{
    private readonly List<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = [];
    private readonly MeterListener _listener = new();

    public PipelineTelemetryMetricsTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == PipelineTelemetry.Name) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Add(i, v, tags));
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Add(i, v, tags));
        _listener.Start();
    }

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var dict = new Dictionary<string, object?>();
        foreach (var t in tags) dict[t.Key] = t.Value;
        lock (_measurements) _measurements.Add((instrument.Name, value, dict));
    }

    public void Dispose() => _listener.Dispose();

    [Fact]
    public void Queue_lag_is_seconds_from_request_creation_to_pick_up()
    {
        var created = new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
        var request = new TrainingRequest { RequestId = "req-1", Target = "bot", DatasetIds = ["ds"], CreatedAt = created };

        PipelineTelemetry.RecordQueueLag(request, created.AddSeconds(90));

        var m = Assert.Single(_measurements, m => m.Instrument == "pipeline.queue.lag");
        Assert.Equal(90, m.Value);
        Assert.Equal("bot", m.Tags[PipelineTelemetry.Tags.Target]);
    }

    [Fact]
    public void Run_duration_tokens_per_second_and_failures_are_recorded_with_their_tags()
    {
        PipelineTelemetry.RecordRunDuration("bot", TimeSpan.FromMinutes(2), "succeeded");
        PipelineTelemetry.RecordTokensPerSecond("bot", 1234.5);
        PipelineTelemetry.RecordFailure("train", "bot", "nan_loss");

        var duration = Assert.Single(_measurements, m => m.Instrument == "pipeline.run.duration");
        Assert.Equal(120, duration.Value);
        Assert.Equal("succeeded", duration.Tags[PipelineTelemetry.Tags.Outcome]);
        Assert.Equal(1234.5, Assert.Single(_measurements, m => m.Instrument == "pipeline.train.tokens_per_second").Value);
        var failure = Assert.Single(_measurements, m => m.Instrument == "pipeline.failures");
        Assert.Equal(1, failure.Value);
        Assert.Equal("nan_loss", failure.Tags[PipelineTelemetry.Tags.Reason]);
        Assert.Equal("train", failure.Tags[PipelineTelemetry.Tags.Stage]);
    }

    [Fact]
    public void Failure_reasons_are_codes_never_exception_messages_so_the_tag_stays_bounded()
    {
        PipelineTelemetry.RecordFailure("train", "bot", "Could not find file '/var/lib/worker/runs/run-1/model.safetensors'.");
        PipelineTelemetry.RecordFailure("train", "bot", new FileNotFoundException("Could not find file '/tmp/x'"));
        PipelineTelemetry.RecordFailure("ingest", "bot\n", "quarantined");

        var reasons = _measurements.Where(m => m.Instrument == "pipeline.failures").Select(m => m.Tags[PipelineTelemetry.Tags.Reason]).ToList();
        Assert.Equal(["other", "file_not_found_exception", "quarantined"], reasons);
        Assert.Equal("other", _measurements.Last().Tags[PipelineTelemetry.Tags.Target]);
    }

    [Fact]
    public void Instruments_carry_units()
    {
        Assert.Equal("s", PipelineTelemetry.QueueLag.Unit);
        Assert.Equal("s", PipelineTelemetry.RunDuration.Unit);
        Assert.Equal("{token}/s", PipelineTelemetry.TokensPerSecond.Unit);
        Assert.Equal("{failure}", PipelineTelemetry.Failures.Unit);
    }
}
