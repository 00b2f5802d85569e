// Fair scheduling through one worker on Azurite: a target inside its debounce window (a steady drip of files) never
// holds the worker, so another target's file is trained meanwhile; the drip is trained in one run once it stops.
using System.Text.Json.Nodes;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerSchedulingTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_steady_drip_on_one_target_does_not_stop_one_file_on_another_from_being_trained()
    {
        using var drip = new WorkerTestBed(azurite, strategy: "from_latest");
        drip.Training["debounce_seconds"] = 2;
        drip.Training["debounce_max_seconds"] = 600; // the drip alone would never start a run within this test
        await drip.ArrangeAsync("ds-drip-0");
        using var other = new WorkerTestBed(azurite);
        var single = await other.ArrangeAsync("ds-single");
        using var stopDrip = new CancellationTokenSource();
        var dripped = new List<string>();
        var otherDoneWhileDripping = false;

        // A dataset (and its request) for the drip target every 0.5 s, well inside its 2 s window.
        async Task DripAsync()
        {
            for (var i = 0; !stopDrip.IsCancellationRequested; i++)
            {
                var request = await drip.AcceptDatasetAsync($"ds-drip-{i}");
                await drip.PublishAsync(request);
                lock (dripped) dripped.Add(request.DatasetIds[0]);
                await Task.Delay(500, CancellationToken.None);
            }
        }

        var handled = await drip.RunWorkerAsync(drip.Settings("worker-fair", idleStopSeconds: 6), TimeSpan.FromSeconds(150), async () =>
        {
            var dripping = Task.Run(DripAsync);
            await Task.Delay(1500);
            await drip.PublishAsync(single); // the other target's one file, on the same queue behind the drip
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(90);
            while (DateTimeOffset.UtcNow < deadline && (await other.StatusAsync(single))?.State != RunState.Succeeded)
                await Task.Delay(200);
            otherDoneWhileDripping = (await other.StatusAsync(single))?.State == RunState.Succeeded && !dripping.IsCompleted
                                     && (await drip.VersionsAsync()).Count == 0;
            await stopDrip.CancelAsync();
            await dripping;
        });

        Assert.True(otherDoneWhileDripping, "the other target's file was not trained while the drip went on");
        Assert.Equal([1], await other.VersionsAsync());
        // Once the drip stopped, its window closed and one run took every dataset of it.
        Assert.Equal([1], await drip.VersionsAsync());
        var manifest = await new ModelVersionStore(drip.Blobs).ReadManifestAsync(new ModelVersion(drip.Target, 1), CancellationToken.None);
        Assert.Equal(dripped, manifest!.DatasetIds);
        Assert.Contains(handled, h => h.Settlement == RunSettlement.Defer && h.Reason.Contains("debounce", StringComparison.Ordinal));
        Assert.Null((await drip.Queue.PeekMessageAsync()).Value);
    }
}
