// Faults the worker survives on Azurite: repeated deliveries to two workers, bad messages and data, storage going
// away in the middle of a run.
using Azure;
using Azure.Storage.Blobs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues.StorageQueue;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerFaultTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task The_same_request_delivered_five_times_to_two_workers_makes_one_run_and_one_version()
    {
        using var bed = new WorkerTestBed(azurite);
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
        using var bed = new WorkerTestBed(azurite);
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
    public async Task A_run_survives_azurite_stopping_at_an_early_step_and_restarting_while_it_trains_on()
    {
        // Storage goes away from the training thread itself at step 5, so the outage starts while training runs, however
        // loaded the machine is; it comes back once training went on without it for 5 more steps and at least 3 s passed.
        const int totalSteps = 30, stopAtStep = 5, stepsWhileDown = 5;
        using var bed = new WorkerTestBed(azurite, maxSteps: totalSteps, saveSteps: 5);
        var request = await bed.ArrangeAsync();
        await bed.PublishAsync(request);
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var trainedWhileDown = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var down = false;
        void OnStep(TrainProgress p)
        {
            if (p.IsEval) return;
            if (p.Step == stopAtStep && !stopped.Task.IsCompleted)
            {
                azurite.Stop();
                Volatile.Write(ref down, true);
                stopped.SetResult();
            }
            else if (Volatile.Read(ref down) && p.Step >= stopAtStep + stepsWhileDown)
            {
                trainedWhileDown.TrySetResult(p.Step);
            }
        }
        var noRetries = new BlobServiceClient(azurite.ConnectionString, new BlobClientOptions { Retry = { MaxRetries = 0 } });

        var handled = await bed.RunWorkerAsync(bed.Settings("worker-a", idleStopSeconds: 5), TimeSpan.FromSeconds(150), async () =>
        {
            try
            {
                await stopped.Task.WaitAsync(TimeSpan.FromSeconds(60));
                // Storage is really gone: a request without retries fails (the worker's own writes are retried).
                await Assert.ThrowsAnyAsync<RequestFailedException>(() => noRetries.GetBlobContainerClient(StorageLayout.Runs).ExistsAsync());
                await Task.WhenAll(Task.Delay(TimeSpan.FromSeconds(3)), trainedWhileDown.Task.WaitAsync(TimeSpan.FromSeconds(60)));
            }
            finally
            {
                Volatile.Write(ref down, false);
                azurite.Start();
            }
        }, OnStep);

        var status = (await bed.StatusAsync(request))!;
        Assert.Equal(RunState.Succeeded, status.State);
        Assert.Equal(totalSteps, status.Step);
        Assert.InRange(await trainedWhileDown.Task, stopAtStep + stepsWhileDown, totalSteps);
        Assert.Equal([1], await bed.VersionsAsync());
        Assert.Contains(handled, h => h.Settlement == RunSettlement.Complete && h.Reason.Contains("written", StringComparison.Ordinal));
    }
}
