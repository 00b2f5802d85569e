using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Trainer.Worker;

namespace Pipeline.Trainer.Tests.Worker;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerFaultTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_same_request_delivered_five_times_to_two_workers_makes_one_run_and_one_version()
    {
        var bed = new WorkerTestBed(azurite);
        var request = await bed.ArrangeAsync();
        for (var i = 0; i < 5; i++) await bed.PublishAsync(request);

        var both = await Task.WhenAll(
            bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 8), TimeSpan.FromSeconds(120)),
            bed.RunWorkerAsync(bed.Settings("worker-b", idleStopSeconds: 8), TimeSpan.FromSeconds(120)));

        var handled = both.SelectMany(h => h).ToList();
        Assert.Equal([1], await bed.VersionsAsync());
        Assert.Equal(RunState.Succeeded, (await bed.StatusAsync(request))!.State);
        Assert.Equal(5, handled.Count(h => h.Settlement == RunSettlement.Complete));
        Assert.Single(handled, h => h.Reason.Contains("written", StringComparison.Ordinal));
        Assert.Null((await bed.Queue.PeekMessageAsync()).Value);
        Assert.False(await bed.PoisonQueue.ExistsAsync() && (await bed.PoisonQueue.PeekMessageAsync()).Value is not null);
    }

    [Fact]
    public async Task A_malformed_message_a_missing_dataset_and_a_bad_row_are_poisoned_with_reasons_and_the_worker_keeps_serving()
    {
        var bed = new WorkerTestBed(azurite);
        var good = await bed.ArrangeAsync();
        await bed.Queue.SendMessageAsync("this is not a training request");
        var missing = bed.Request("ds-that-was-never-ingested");
        await bed.PublishAsync(missing);
        var datasets = bed.Container(StorageLayout.Datasets);
        await datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(bed.Target, "ds-bad")).UploadAsync(BinaryData.FromString(
            "{\"prompt\": \"Hi?\", \"chosen\": \" Hello.\", \"rejected\": \" Go away.\"}\n{\"prompt\": \"Where?\", \"chosen\": \" Here.\"}\n"));
        await datasets.GetBlobClient(StorageLayout.DatasetEvalBlob(bed.Target, "ds-bad")).UploadAsync(
            BinaryData.FromString("{\"prompt\": \"Hi?\", \"chosen\": \" Hello.\", \"rejected\": \" Go away.\"}\n"));
        var badRows = bed.Request("ds-bad");
        await bed.PublishAsync(badRows);
        await bed.PublishAsync(good);

        var handled = await bed.RunWorkerAsync(bed.Settings("worker-a"));

        var poisoned = new List<PoisonMessage>();
        foreach (var m in (await bed.PoisonQueue.ReceiveMessagesAsync(10)).Value) poisoned.Add(PoisonMessage.Parse(m.Body.ToString()));
        Assert.Equal(3, poisoned.Count);
        Assert.Contains(poisoned, p => p.Description.Contains("train.jsonl:2: missing \"rejected\"", StringComparison.Ordinal));
        Assert.Contains(poisoned, p => p.Reason == "InvalidBody" && p.Body.Contains("this is not a training request", StringComparison.Ordinal));
        Assert.Contains(poisoned, p => p.Description.Contains("dataset 'ds-that-was-never-ingested'", StringComparison.Ordinal)
                                       && p.Description.Contains("does not exist", StringComparison.Ordinal));
        var failed = (await bed.StatusAsync(missing))!;
        Assert.Equal(RunState.Failed, failed.State);
        Assert.Contains($"datasets/{bed.Target}/ds-that-was-never-ingested/train.jsonl not found", failed.Reason);
        Assert.Equal(RunState.Succeeded, (await bed.StatusAsync(good))!.State);
        Assert.Equal([RunSettlement.DeadLetter, RunSettlement.DeadLetter, RunSettlement.Complete], handled.Select(h => h.Settlement));
        Assert.Equal(RunState.Failed, (await bed.StatusAsync(badRows))!.State);
        Assert.Equal([1], await bed.VersionsAsync());
    }

    [Fact]
    public async Task A_run_survives_azurite_stopping_and_restarting_in_the_middle()
    {
        var bed = new WorkerTestBed(azurite, maxSteps: 150, saveSteps: 25);
        var request = await bed.ArrangeAsync();
        await bed.PublishAsync(request);
        var (stepAtStop, stepWhileDown) = (0, 0);

        var handled = await bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 5), TimeSpan.FromSeconds(150), async () =>
        {
            // Wait until training is under way (its local log), then take storage away for a few seconds while it trains on.
            for (var i = 0; i < 1200 && await StepFromLocalLogAsync(bed) < 10; i++) await Task.Delay(25);
            stepAtStop = await StepFromLocalLogAsync(bed);
            azurite.Stop();
            await Task.Delay(TimeSpan.FromSeconds(4));
            stepWhileDown = await StepFromLocalLogAsync(bed);
            azurite.Start();
        });

        var status = (await bed.StatusAsync(request))!;
        Assert.Equal(RunState.Succeeded, status.State);
        Assert.Equal(150, status.Step);
        Assert.InRange(stepAtStop, 10, 149); // storage was taken away while the run was training
        Assert.True(stepWhileDown >= stepAtStop);
        Assert.Equal([1], await bed.VersionsAsync());
        Assert.Contains(handled, h => h.Settlement == RunSettlement.Complete && h.Reason.Contains("written", StringComparison.Ordinal));
    }

    /// <summary>The newest step in the worker's local metrics.jsonl (readable while storage is down).</summary>
    private static async Task<int> StepFromLocalLogAsync(WorkerTestBed bed)
    {
        var log = Directory.GetFiles(bed.Root, "metrics.jsonl", SearchOption.AllDirectories).SingleOrDefault();
        if (log is null) return 0;
        await using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var lines = (await new StreamReader(stream).ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // The last line may be half written while we read: take the newest complete one.
        foreach (var line in lines.Reverse())
        {
            try
            {
                return System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt32();
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        return 0;
    }
}
