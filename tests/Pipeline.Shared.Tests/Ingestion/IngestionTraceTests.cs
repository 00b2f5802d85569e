// The ingest trace travels in the training request: the trainer's run joins the trace that the file started.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Telemetry;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Ingestion;

[Collection(AzuriteCollection.Name)]
public sealed class IngestionTraceTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Published_request_carries_the_trace_of_the_ingest_activity()
    {
        var ingestActivities = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == PipelineTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.OperationName == "ingest") ingestActivities.Add(a); },
        };
        ActivitySource.AddActivityListener(listener);
        var options = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var queue = options.QueueService().GetQueueClient("trace-" + Guid.NewGuid().ToString("N")[..12]);
        var service = new IngestionService(options.BlobService(), new StorageQueuePublisher(queue, StorageRetry.Create()));
        var target = "trace-" + Guid.NewGuid().ToString("N")[..8];
        await service.UploadAsync(target, "pairs.jsonl", new MemoryStream(Encoding.UTF8.GetBytes(PreferenceFiles.Pairs(20))));

        var result = await service.IngestAsync(target, "pairs.jsonl");

        Assert.Equal(IngestOutcome.Accepted, result.Outcome);
        var message = (await queue.ReceiveMessageAsync()).Value;
        var request = TrainingRequest.Parse(message.Body.ToString());
        var ingest = Assert.Single(ingestActivities, a => (string?)a.GetTagItem(PipelineTelemetry.Tags.Target) == target);
        Assert.Equal(ingest.TraceId, request.ParentContext()!.Value.TraceId);
    }
}
