// The runs and versions HTTP functions called directly against Azurite, over blobs laid out as the trainer writes them.
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Functions.Composition;
using Pipeline.Functions.Runs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests.Runs;

[Collection(AzuriteCollection.Name)]
public sealed class RunsFunctionsTests(AzuriteFixture azurite)
{
    private readonly string _target = "runs-" + Guid.NewGuid().ToString("N")[..8];

    private RunsFunctions Functions()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [PipelineFunctionsExtensions.ConnectionSetting] = azurite.ConnectionString })
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

    private async Task ArrangeAsync()
    {
        await PutAsync(StorageLayout.Runs, $"{_target}/run-a/status.json",
            """{"state":"succeeded","run_id":"run-a","version":"v0001","updated_at":"2026-01-01T10:00:00+00:00"}""");
        await PutAsync(StorageLayout.Runs, $"{_target}/run-b/status.json",
            """{"state":"running","run_id":"run-b","step":7,"total_steps":20,"updated_at":"2026-01-01T11:00:00+00:00"}""");
        await PutAsync(StorageLayout.Runs, $"{_target}/run-b/checkpoints/step-000005/_COMPLETE.json", "{}");
        await PutAsync(StorageLayout.Models, $"{_target}/v0001/manifest.json", """{"version":"v0001","run_id":"run-a"}""");
        await PutAsync(StorageLayout.Models, $"{_target}/v0002/allocation.json", """{"run_id":"run-b"}""");
        await PutAsync(StorageLayout.Models, $"{_target}/latest.json", """{"version":"v0001"}""");
        await PutAsync(StorageLayout.Datasets, $"{_target}/ds-a/train.jsonl", "{}\n");
        await PutAsync(StorageLayout.Datasets, $"{_target}/_pairs/ds-a.bin", "x");
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
        Assert.Equal($"/api/targets/{_target}/runs/{RunsCatalog.RunIdOf(published[0])}", first.Location);
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
    public void Metadata_lists_the_runs_functions_with_their_routes(string name, string route, string method)
    {
        var path = Path.Combine(AppContext.BaseDirectory, "functions.metadata");
        if (!File.Exists(path)) path = Path.Combine(RepoPaths.Root, "functions", "Pipeline.Functions", "bin", "Release", "net10.0", "functions.metadata");
        using var doc = JsonDocument.Parse(File.ReadAllText(path));
        var function = doc.RootElement.EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString() == "httpTrigger");
        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
    }
}
