using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class RunLeaseTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    // Each test has a target of its own in the shared runs container.
    private readonly string _target = "agent-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<(RunStore Store, RunStatus Status)> NewRunAsync()
    {
        await azurite.BlobService().GetBlobContainerClient(StorageLayout.Runs).CreateIfNotExistsAsync();
        var store = new RunStore(azurite.BlobService());
        var status = new RunStatus
        {
            State = RunState.Queued, Target = _target, RunId = "run-1", RequestId = "req-1", DatasetIds = ["ds"],
            CreatedAt = DateTimeOffset.UtcNow, UpdatedAt = DateTimeOffset.UtcNow,
        };
        Assert.True(await store.TryCreateStatusAsync(status, CancellationToken.None));
        Assert.False(await store.TryCreateStatusAsync(status, CancellationToken.None));
        return (store, status);
    }

    [Fact]
    public async Task A_second_worker_cannot_take_a_leased_run_but_the_same_worker_id_can()
    {
        var (store, _) = await NewRunAsync();
        var blob = store.StatusBlob(_target, "run-1");
        await using var first = await RunLease.TryAcquireAsync(blob, "worker-a", "run-1", Duration, NullLogger.Instance, CancellationToken.None);

        var other = await RunLease.TryAcquireAsync(blob, "worker-b", "run-1", Duration, NullLogger.Instance, CancellationToken.None);
        await using var restarted = await RunLease.TryAcquireAsync(blob, "worker-a", "run-1", Duration, NullLogger.Instance, CancellationToken.None);

        Assert.NotNull(first);
        Assert.Null(other);
        Assert.NotNull(restarted);
    }

    [Fact]
    public async Task Status_is_written_only_under_the_lease_and_the_run_is_free_after_release()
    {
        var (store, status) = await NewRunAsync();
        var blob = store.StatusBlob(_target, "run-1");
        var lease = (await RunLease.TryAcquireAsync(blob, "worker-a", "run-1", Duration, NullLogger.Instance, CancellationToken.None))!;

        await store.WriteStatusAsync(status with { State = RunState.Running }, lease.LeaseId, CancellationToken.None);
        var stranger = RunLease.LeaseIdFor("worker-b", "run-1");
        var denied = await Assert.ThrowsAsync<Azure.RequestFailedException>(() =>
            store.WriteStatusAsync(status with { State = RunState.Failed }, stranger, CancellationToken.None));
        await lease.ReleaseAsync(CancellationToken.None);
        await lease.DisposeAsync();
        await using var next = await RunLease.TryAcquireAsync(blob, "worker-b", "run-1", Duration, NullLogger.Instance, CancellationToken.None);

        Assert.Equal(RunState.Running, (await store.ReadStatusAsync(_target, "run-1", CancellationToken.None))!.State);
        Assert.True(denied.Status is 409 or 412);
        Assert.NotNull(next);
    }

    [Fact]
    public async Task Progress_reports_reach_status_json_asynchronously_and_state_changes_at_once()
    {
        var (store, status) = await NewRunAsync();
        await using var lease = (await RunLease.TryAcquireAsync(store.StatusBlob(_target, "run-1"), "worker-a", "run-1", Duration, NullLogger.Instance, CancellationToken.None))!;
        await using var reporter = new RunStatusReporter(store, lease, status, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5),
            StorageRetry.Create(), NullLogger.Instance);

        await reporter.SetAsync(s => s with { State = RunState.Running }, CancellationToken.None);
        var afterSet = await store.ReadStatusAsync(_target, "run-1", CancellationToken.None);
        for (var step = 1; step <= 1000; step++)
        {
            var s1 = step;
            reporter.Report(s => s with { Step = s1, TotalSteps = 1000, Loss = 1.0 / s1 });
        }
        RunStatus? seen = null;
        for (var i = 0; i < 50 && seen?.Step != 1000; i++)
        {
            await Task.Delay(100);
            seen = await store.ReadStatusAsync(_target, "run-1", CancellationToken.None);
        }

        Assert.Equal(RunState.Running, afterSet!.State);
        Assert.Equal(1000, seen!.Step);
        Assert.Equal(0.001, seen.Loss);
    }
}
