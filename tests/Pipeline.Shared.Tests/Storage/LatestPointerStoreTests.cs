using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class LatestPointerStoreTests(AzuriteFixture azurite)
{
    private static readonly GateTolerances Tolerances = new() { MaxRewardAccuracyDrop = 0.05, MaxEvalLossIncrease = 0.1 };

    private static Dictionary<string, double> Metrics(double acc, double loss) =>
        new() { [GateDecision.AccuracyMetric] = acc, [GateDecision.LossMetric] = loss };

    // Each test has a target of its own in the shared models container.
    private readonly string _target = "agent-" + Guid.NewGuid().ToString("N")[..8];

    private async Task<LatestPointerStore> NewStoreAsync()
    {
        await azurite.BlobService().GetBlobContainerClient(StorageLayout.Models).CreateIfNotExistsAsync();
        return new LatestPointerStore(azurite.BlobService());
    }

    [Fact]
    public async Task Moves_latest_to_a_better_version_and_keeps_it_on_a_worse_one()
    {
        var store = await NewStoreAsync();
        var first = await store.PromoteAsync(new ModelVersion(_target, 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);
        var better = await store.PromoteAsync(new ModelVersion(_target, 2), "run-2", Metrics(0.8, 1.2), Tolerances, CancellationToken.None);
        var worse = await store.PromoteAsync(new ModelVersion(_target, 3), "run-3", Metrics(0.5, 1.2), Tolerances, CancellationToken.None);

        Assert.True(first.Moved);
        Assert.True(better.Moved);
        Assert.Equal("v0001", better.Decision.ComparedWith);
        Assert.False(worse.Moved);
        Assert.False(worse.Decision.Passed);
        Assert.Equal("v0002", worse.Decision.ComparedWith);
        Assert.Equal("v0002", (await store.ReadAsync(_target, CancellationToken.None)).Pointer!.Version);
    }

    [Fact]
    public async Task Two_promotions_racing_leave_latest_on_the_higher_passing_version()
    {
        var store = await NewStoreAsync();

        var results = await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(() =>
            store.PromoteAsync(new ModelVersion(_target, i), $"run-{i}", Metrics(0.8, 1.0), Tolerances, CancellationToken.None))));

        var latest = (await store.ReadAsync(_target, CancellationToken.None)).Pointer!;
        Assert.Equal("v0006", latest.Version);
        Assert.True(results[5].Moved);
    }

    [Fact]
    public async Task A_repeated_promotion_of_the_latest_version_is_a_no_op()
    {
        var store = await NewStoreAsync();
        await store.PromoteAsync(new ModelVersion(_target, 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);
        var before = await store.ReadAsync(_target, CancellationToken.None);

        var again = await store.PromoteAsync(new ModelVersion(_target, 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);

        Assert.True(again.Moved);
        Assert.Equal(before.ETag, (await store.ReadAsync(_target, CancellationToken.None)).ETag);
    }
}
