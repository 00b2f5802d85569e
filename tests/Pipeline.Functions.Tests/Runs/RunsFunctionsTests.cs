// The runs and versions HTTP functions called directly against Azurite, over blobs written as the trainer writes them.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Runs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests.Runs;

[Collection(AzuriteCollection.Name)]
public sealed class RunsFunctionsTests(AzuriteFixture azurite)
{
    private readonly string _target = "runs-" + Guid.NewGuid().ToString("N")[..8];

    private RunsFunctions Functions()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                [PipelineFunctionsExtensions.ConnectionSetting] = azurite.ConnectionString,
                ["Access:Mode"] = "Local", // access and retrain limits have their own tests
                ["Retrain:Cooldown"] = "00:00:00",
            })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddPipelineFunctions(configuration).AddTransient<RunsFunctions>();
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true }).GetRequiredService<RunsFunctions>();
    }

    private async Task PutAsync(string container, string name, string content)
    {
        var c = azurite.BlobService().GetBlobContainerClient(container);
        await c.CreateIfNotExistsAsync();
        await c.GetBlobClient(name).UploadAsync(BinaryData.FromString(content), overwrite: true);
    }

    /// <summary>Two runs, a complete version and one still being written, latest, and an accepted dataset, written by
    /// the shared stores as the trainer and ingestion write them.</summary>
    private async Task ArrangeAsync()
    {
        var blobs = azurite.BlobService();
        foreach (var container in StorageLayout.Containers) await blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync();
        var runs = new RunStore(blobs);
        RunStatus Status(string runId, RunState state, DateTimeOffset updated) => new()
        {
            State = state, Target = _target, RunId = runId, RequestId = "req-" + runId[4..], DatasetIds = ["ds-a"],
            CreatedAt = updated, UpdatedAt = updated,
        };
        await runs.TryCreateStatusAsync(Status("run-a", RunState.Succeeded, new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero)) with { Version = "v0001" }, default);
        await runs.TryCreateStatusAsync(Status("run-b", RunState.Running, new DateTimeOffset(2026, 1, 1, 11, 0, 0, TimeSpan.Zero)) with { Step = 7, TotalSteps = 20 }, default);
        await PutAsync(StorageLayout.Runs, StorageLayout.RunCheckpointPrefix(_target, "run-b", 5) + StorageLayout.CheckpointMarkerFile, "{}");

        var versions = new ModelVersionStore(blobs);
        var v1 = await versions.AllocateAsync(_target, new VersionAllocation { RunId = "run-a", RequestId = "req-a", WorkerId = "w", AllocatedAt = DateTimeOffset.UtcNow }, default);
        var now = DateTimeOffset.UtcNow;
        await versions.WriteManifestAsync(v1, new ModelManifest
        {
            Target = _target, Version = v1.Name, RunId = "run-a", RequestId = "req-a", BaseModel = new BaseModelLineage("base-models/x", "00"),
            DatasetIds = ["ds-a"], TrainingMode = "full", HyperParameters = new OrpoConfig(), Metrics = new Dictionary<string, double>(),
            Gate = new GateDecision { Passed = true, Reason = "first version of the target", Tolerances = GateTolerances.Default },
            CodeVersion = "test", Files = [],
            Timings = new RunTimings { RequestCreatedAt = now, ReceivedAt = now, TrainingStartedAt = now, TrainingFinishedAt = now, FinishedAt = now },
        }, default);
        await versions.AllocateAsync(_target, new VersionAllocation { RunId = "run-b", RequestId = "req-b", WorkerId = "w", AllocatedAt = now }, default);
        await new LatestPointerStore(blobs).PromoteAsync(v1, "run-a", new Dictionary<string, double>(), _ =>
            new GateDecision { Passed = true, Reason = "test", Tolerances = GateTolerances.Default }, default);

        var request = new TrainingRequest { RequestId = "req-ds-a", Target = _target, DatasetIds = ["ds-a"] };
        await PutAsync(StorageLayout.Datasets, StorageLayout.DatasetTrainBlob(_target, "ds-a"), "{}\n");
        await PutAsync(StorageLayout.Datasets, StorageLayout.DatasetRequestMarkerBlob(_target, "ds-a"), request.ToJson());
        await PutAsync(StorageLayout.Datasets, StorageLayout.PairIndexBlob(_target, "ds-a"), "x");
    }

    private static JsonElement Body(IActionResult result) =>
        JsonDocument.Parse(Assert.IsType<ContentResult>(result).Content!).RootElement;

    private static HttpRequest Post(string body)
    {
        var request = new DefaultHttpContext().Request;
        request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        request.ContentLength = request.Body.Length;
        return request;
    }

    [Fact]
    public async Task Lists_a_targets_runs_newest_first_and_gets_one_runs_status()
    {
        await ArrangeAsync();
        var functions = Functions();

        var runs = Body(await functions.ListRuns(new DefaultHttpContext().Request, _target, default));
        var run = Body(await functions.GetRun(new DefaultHttpContext().Request, _target, "run-b", default));
        var missing = await functions.GetRun(new DefaultHttpContext().Request, _target, "run-zzz", default);
        var invalid = await functions.GetRun(new DefaultHttpContext().Request, _target, "../escape", default);

        Assert.Equal(["run-b", "run-a"], runs.EnumerateArray().Select(r => r.GetProperty("run_id").GetString()));
        Assert.Equal(7, run.GetProperty("step").GetInt32());
        Assert.IsType<NotFoundObjectResult>(missing);
        Assert.IsType<BadRequestObjectResult>(invalid);
    }

    [Fact]
    public async Task Lists_versions_with_latest_and_marks_a_version_without_manifest_incomplete()
    {
        await ArrangeAsync();

        var body = Body(await Functions().ListVersions(new DefaultHttpContext().Request, _target, default));

        Assert.Equal("v0001", body.GetProperty("latest").GetProperty("version").GetString());
        var versions = body.GetProperty("versions").EnumerateArray().ToList();
        Assert.Equal(["v0001", "v0002"], versions.Select(v => v.GetProperty("version").GetString()));
        Assert.Equal([true, false], versions.Select(v => v.GetProperty("complete").GetBoolean()));
        Assert.Equal("run-a", versions[0].GetProperty("manifest").GetProperty("run_id").GetString());
    }

    [Fact]
    public async Task A_retrain_publishes_a_new_request_for_the_targets_datasets_and_names_the_run_to_watch()
    {
        await ArrangeAsync();

        var first = Assert.IsType<AcceptedResult>(await Functions().RequestRetrain(new DefaultHttpContext().Request, _target, default));
        var second = Assert.IsType<AcceptedResult>(await Functions().RequestRetrain(Post("""{"dataset_ids":["ds-a"]}"""), _target, default));

        var queue = azurite.QueueService().GetQueueClient(StorageLayout.TrainingRequestsQueue);
        var published = (await queue.PeekMessagesAsync(32)).Value
            .Select(m => TrainingRequest.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(m.Body.ToString()))))
            .Where(r => r.Target == _target).ToList();
        Assert.Equal(2, published.Count);
        Assert.All(published, r => Assert.Equal(["ds-a"], r.DatasetIds));
        Assert.All(published, r => Assert.Equal("retrain", r.Reason));
        Assert.NotEqual(published[0].RequestId, published[1].RequestId);
        Assert.Equal($"/api/targets/{_target}/runs/{published[0].RunId}", first.Location);
        Assert.NotEqual(first.Location, second.Location);
    }

    [Fact]
    public async Task A_retrain_naming_a_missing_dataset_is_refused_with_the_reason()
    {
        await ArrangeAsync();

        var result = await Functions().RequestRetrain(Post("""{"dataset_ids":["ds-nope"]}"""), _target, default);

        var bad = Assert.IsType<BadRequestObjectResult>(result);
        Assert.Contains("dataset 'ds-nope'", JsonSerializer.Serialize(bad.Value, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }
}

public sealed class RunsFunctionsMetadataTests
{
    [Theory]
    [InlineData("ListRuns", "targets/{target}/runs", "get")]
    [InlineData("GetRun", "targets/{target}/runs/{runId}", "get")]
    [InlineData("ListVersions", "targets/{target}/models", "get")]
    [InlineData("RequestRetrain", "targets/{target}/retrain", "post")]
    [InlineData("UploadFile", "targets/{target}/files/{*name}", "put", "post")]
    [InlineData("GetReport", "targets/{target}/datasets/{datasetId}/report", "get")]
    public void Metadata_lists_the_http_functions_with_their_routes_and_no_function_key(string name, string route, params string[] methods)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        if (!File.Exists(path)) path = Path.Combine(RepoPaths.Root, "functions", "Pipeline.Functions", "bin", "Release", "net10.0", "functions.metadata");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var function = doc.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal(methods, trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        // Keys open nothing: App Service Authentication signs callers in and each function checks the target's access.
        Assert.Equal("Anonymous", trigger.GetProperty("authLevel").GetString(), ignoreCase: true);
    }
}
