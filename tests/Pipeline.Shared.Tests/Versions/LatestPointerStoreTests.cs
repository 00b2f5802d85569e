using Pipeline.Testing;
using Pipeline.Shared.Versions;

namespace Pipeline.Shared.Tests.Versions;

[Collection(AzuriteCollection.Name)]
public sealed class LatestPointerStoreTests(AzuriteFixture azurite)
{
    private static readonly GateTolerances Tolerances = new(0.05, 0.1);

    private static Dictionary<string, double> Metrics(double acc, double loss) =>
        new() { [GateDecision.AccuracyMetric] = acc, [GateDecision.LossMetric] = loss };

    private async Task<LatestPointerStore> NewStoreAsync()
    {
        var container = azurite.BlobService().GetBlobContainerClient("models-" + Guid.NewGuid().ToString("N")[..12]);
        await container.CreateAsync();
        return new LatestPointerStore(container);
    }

    [Fact]
    public async Task Moves_latest_to_a_better_version_and_keeps_it_on_a_worse_one()
    {
        var store = await NewStoreAsync();
        var first = await store.PromoteAsync(new ModelVersion("agent", 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);
        var better = await store.PromoteAsync(new ModelVersion("agent", 2), "run-2", Metrics(0.8, 1.2), Tolerances, CancellationToken.None);
        var worse = await store.PromoteAsync(new ModelVersion("agent", 3), "run-3", Metrics(0.5, 1.2), Tolerances, CancellationToken.None);

        Assert.True(first.Moved);
        Assert.True(better.Moved);
        Assert.Equal("v0001", better.Decision.ComparedWith);
        Assert.False(worse.Moved);
        Assert.False(worse.Decision.Passed);
        Assert.Equal("v0002", worse.Decision.ComparedWith);
        Assert.Equal("v0002", (await store.ReadAsync("agent", CancellationToken.None)).Pointer!.Version);
    }

    [Fact]
    public async Task Two_promotions_racing_leave_latest_on_the_higher_passing_version()
    {
        var store = await NewStoreAsync();

        var results = await Task.WhenAll(Enumerable.Range(1, 6).Select(i => Task.Run(() =>
            store.PromoteAsync(new ModelVersion("agent", i), $"run-{i}", Metrics(0.8, 1.0), Tolerances, CancellationToken.None))));

        var latest = (await store.ReadAsync("agent", CancellationToken.None)).Pointer!;
        Assert.Equal("v0006", latest.Version);
        Assert.True(results[5].Moved);
    }

    [Fact]
    public async Task A_repeated_promotion_of_the_latest_version_is_a_no_op()
    {
        var store = await NewStoreAsync();
        await store.PromoteAsync(new ModelVersion("agent", 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);
        var before = await store.ReadAsync("agent", CancellationToken.None);

        var again = await store.PromoteAsync(new ModelVersion("agent", 1), "run-1", Metrics(0.6, 1.5), Tolerances, CancellationToken.None);

        Assert.True(again.Moved);
        Assert.Equal(before.ETag, (await store.ReadAsync("agent", CancellationToken.None)).ETag);
    }
}
