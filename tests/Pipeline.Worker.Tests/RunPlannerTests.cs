// Continuous fine-tuning on Azurite: a burst of datasets becomes one run after the debounce window (the planner says
// "not before" instead of waiting, capped by debounce_max for a steady drip), from_latest takes what is not trained
// yet, from_base takes everything, and a request already covered by a version needs no work.
using System.Diagnostics;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class RunPlannerTests(AzuriteFixture azurite)
{
    private readonly BlobServiceClient _blobs = azurite.BlobService();
    private readonly string _target = "plan-" + Guid.NewGuid().ToString("N")[..8];

    private RunPlanner Planner() => new(_blobs, StorageRetry.Create(), NullLogger<RunPlanner>.Instance);

    private Task ArrangeAsync(string strategy, double debounceSeconds, params string[] acceptedDatasets) =>
        ArrangeAsync(new TrainingProfile { BaseModel = "base-models/x", Strategy = strategy, DebounceSeconds = debounceSeconds }, acceptedDatasets);

    private async Task ArrangeAsync(TrainingProfile training, params string[] acceptedDatasets)
    {
        foreach (var c in StorageLayout.Containers) await _blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        var profile = new TargetProfile { Training = training };
        await _blobs.GetBlobContainerClient(StorageLayout.Config).GetBlobClient(StorageLayout.TargetProfileBlob(_target))
            .UploadAsync(BinaryData.FromString(profile.ToJson()), overwrite: true);
        foreach (var id in acceptedDatasets) await AcceptAsync(id);
    }

    // What ingestion leaves once a dataset's request is published: the marker blob.
    private async Task AcceptAsync(string datasetId) =>
        await _blobs.GetBlobContainerClient(StorageLayout.Datasets).GetBlobClient(StorageLayout.DatasetRequestMarkerBlob(_target, datasetId))
            .UploadAsync(BinaryData.FromString(Request(datasetId).ToJson()), overwrite: true);

    private async Task WriteVersionAsync(int number, params string[] datasetIds)
    {
        var version = new ModelVersion(_target, number);
        var gate = new GateDecision { Passed = true, Reason = "test", Tolerances = GateTolerances.Default };
        var now = DateTimeOffset.UtcNow;
        await new ModelVersionStore(_blobs).WriteManifestAsync(version, new ModelManifest
        {
            Target = _target, Version = version.Name, RunId = "run-x", RequestId = "req-x", BaseModel = new BaseModelLineage("base-models/x", "00"),
            DatasetIds = datasetIds, TrainingMode = "full", HyperParameters = new OrpoConfig(), Metrics = new Dictionary<string, double>(), Gate = gate,
            CodeVersion = "test", Files = [],
            Timings = new RunTimings { RequestCreatedAt = now, ReceivedAt = now, TrainingStartedAt = now, TrainingFinishedAt = now, FinishedAt = now },
        }, CancellationToken.None);
    }

    private TrainingRequest Request(params string[] datasetIds) => new()
    {
        RequestId = TrainingRequest.DeriveId(_target, datasetIds, "p"), Target = _target, DatasetIds = datasetIds, ProfileHash = "p",
    };

    [Fact]
    public async Task A_request_inside_the_debounce_window_is_not_held_but_told_when_the_target_is_quiet_and_then_trains_the_burst()
    {
        await ArrangeAsync(TrainingStrategies.FromLatest, debounceSeconds: 1.5, "ds-a");
        var request = Request("ds-a"); // one message, delivered three times
        var clock = Stopwatch.StartNew();

        var early = await Planner().PlanAsync(request, CancellationToken.None);
        await Task.Delay(300);
        await AcceptAsync("ds-b"); // lands inside the window: the window restarts from it
        var later = await Planner().PlanAsync(request, CancellationToken.None);
        var answeredIn = clock.Elapsed;
        await Task.Delay(later.NotBefore!.Value - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(50));
        var plan = await Planner().PlanAsync(request, CancellationToken.None);

        Assert.True(answeredIn < TimeSpan.FromSeconds(1.8), $"the planner waited {answeredIn.TotalSeconds:0.00} s instead of answering 'not before'");
        Assert.NotNull(early.NotBefore);
        Assert.True(later.NotBefore > early.NotBefore, "a dataset accepted inside the window restarts it");
        Assert.Null(plan.NotBefore);
        Assert.False(plan.NothingToDo);
        Assert.Equal(["ds-a", "ds-b"], plan.Request.DatasetIds);
        Assert.Equal(TrainingRequest.DeriveId(_target, ["ds-a", "ds-b"], "p"), plan.Request.RequestId);
    }

    [Fact]
    public async Task A_steady_drip_is_trained_once_debounce_max_has_passed_since_its_oldest_untrained_dataset()
    {
        // A dataset every 0.3 s keeps the 1 s window from ever closing; the 2 s cap starts the run anyway.
        await ArrangeAsync(new TrainingProfile
        {
            BaseModel = "base-models/x", Strategy = TrainingStrategies.FromLatest, DebounceSeconds = 1, DebounceMaxSeconds = 2,
        }, "ds-0");
        var request = Request("ds-0");
        var clock = Stopwatch.StartNew();
        RunPlan? plan = null;
        for (var i = 1; plan?.NotBefore is not null || plan is null; i++)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(6), "the drip was never trained");
            await Task.Delay(300);
            await AcceptAsync($"ds-{i}");
            plan = await Planner().PlanAsync(request, CancellationToken.None);
        }

        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 4.0);
        Assert.Equal("ds-0", plan.Request.DatasetIds[0]);
        Assert.True(plan.Request.DatasetIds.Count >= 4, $"the run covers {plan.Request.DatasetIds.Count} datasets of the drip");
    }

    [Fact]
    public async Task The_later_request_of_a_burst_is_acknowledged_without_work_once_a_version_covers_it()
    {
        await ArrangeAsync(TrainingStrategies.FromLatest, debounceSeconds: 0, "ds-a", "ds-b");
        await WriteVersionAsync(1, "ds-a", "ds-b");

        var plan = await Planner().PlanAsync(Request("ds-b"), CancellationToken.None);

        Assert.True(plan.NothingToDo);
        Assert.Equal("v0001", plan.CoveredBy);
    }

    [Fact]
    public async Task From_latest_trains_only_datasets_no_version_has_trained()
    {
        await ArrangeAsync(TrainingStrategies.FromLatest, debounceSeconds: 0, "ds-a", "ds-b");
        await WriteVersionAsync(1, "ds-a");

        var plan = await Planner().PlanAsync(Request("ds-b"), CancellationToken.None);

        Assert.Equal(["ds-b"], plan.Request.DatasetIds);
        Assert.Equal(Request("ds-b").RequestId, plan.Request.RequestId);
    }

    [Fact]
    public async Task From_base_trains_every_accepted_dataset_once_each()
    {
        await ArrangeAsync(TrainingStrategies.FromBase, debounceSeconds: 0, "ds-a", "ds-b");
        await WriteVersionAsync(1, "ds-a");

        var plan = await Planner().PlanAsync(Request("ds-b"), CancellationToken.None);

        Assert.Equal(["ds-a", "ds-b"], plan.Request.DatasetIds);
    }

    [Fact]
    public async Task A_retrain_request_trains_exactly_its_datasets_even_when_covered()
    {
        await ArrangeAsync(TrainingStrategies.FromLatest, debounceSeconds: 0, "ds-a");
        await WriteVersionAsync(1, "ds-a");
        var retrain = Request("ds-a") with { Reason = TrainingRequest.RetrainReason };

        var plan = await Planner().PlanAsync(retrain, CancellationToken.None);

        Assert.False(plan.NothingToDo);
        Assert.Same(retrain, plan.Request);
    }

    [Fact]
    public async Task A_target_without_a_profile_is_left_to_the_run_to_report()
    {
        foreach (var c in StorageLayout.Containers) await _blobs.GetBlobContainerClient(c).CreateIfNotExistsAsync();
        var request = Request("ds-a");

        var plan = await Planner().PlanAsync(request, CancellationToken.None);

        Assert.Same(request, plan.Request);
    }
}
