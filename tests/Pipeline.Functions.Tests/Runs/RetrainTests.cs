// The retrain endpoint's limits, on Azurite: the same body (or Idempotency-Key) within the window is one run, dataset
// ids are deduplicated and capped, bad bodies get typed 400s, and a target has a cooldown between runs. Every call goes
// through a fresh function instance, so whatever holds is kept in storage.
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Pipeline.Functions.Runs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;

namespace Pipeline.Functions.Tests.Runs;

[Collection(AzuriteCollection.Name)]
public sealed class RetrainTests(AzuriteFixture azurite)
{
    private readonly string _target = "retrain-" + Guid.NewGuid().ToString("N")[..8];
    private readonly string _queue = "retrain-" + Guid.NewGuid().ToString("N")[..8];

    private HttpTestHost Host(Dictionary<string, string?>? settings = null) => new(azurite, _queue, settings);

    /// <summary>Cooldown off unless a test is about it.</summary>
    private static Dictionary<string, string?> NoCooldown(Dictionary<string, string?>? more = null)
    {
        var s = new Dictionary<string, string?> { ["Retrain:Cooldown"] = "00:00:00" };
        foreach (var (k, v) in more ?? []) s[k] = v;
        return s;
    }

    /// <summary>Accepted datasets of the target as ingestion leaves them: a train split and a request marker.</summary>
    private async Task ArrangeAsync(string target, params string[] datasetIds)
    {
        var datasets = azurite.BlobService().GetBlobContainerClient(StorageLayout.Datasets);
        await datasets.CreateIfNotExistsAsync();
        foreach (var id in datasetIds)
        {
            await datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(target, id)).UploadAsync(BinaryData.FromString("{}\n"), overwrite: true);
            var request = new TrainingRequest { RequestId = "req-" + id, Target = target, DatasetIds = [id] };
            await datasets.GetBlobClient(StorageLayout.DatasetRequestMarkerBlob(target, id)).UploadAsync(BinaryData.FromString(request.ToJson()), overwrite: true);
        }
    }

    private async Task<IActionResult> PostAsync(string? body, Dictionary<string, string?>? settings = null, string? target = null, params (string, string)[] headers)
    {
        using var host = Host(settings);
        return await host.Runs.RequestRetrain(HttpTestHost.Request(body, null, headers), target ?? _target, default);
    }

    private async Task<List<TrainingRequest>> PublishedAsync()
    {
        using var host = Host(NoCooldown());
        return await host.PublishedAsync();
    }

    private static JsonElement Json(IActionResult result) =>
        JsonSerializer.SerializeToElement(Assert.IsAssignableFrom<ObjectResult>(result).Value);

    private static (int Status, string Error) Refusal(IActionResult result)
    {
        var o = Assert.IsAssignableFrom<ObjectResult>(result);
        return (o.StatusCode!.Value, JsonSerializer.SerializeToElement(o.Value).GetProperty("error").GetString()!);
    }

    [Fact]
    public async Task The_same_body_twice_within_the_window_is_one_run_and_one_message()
    {
        await ArrangeAsync(_target, "ds-a", "ds-b");

        var first = Assert.IsType<AcceptedResult>(await PostAsync("""{"dataset_ids": ["ds-a", "ds-b"]}""", NoCooldown()));
        var again = Assert.IsType<AcceptedResult>(await PostAsync("""{ "dataset_ids":["ds-a","ds-b","ds-a"] }""", NoCooldown()));

        Assert.Equal(first.Location, again.Location);
        Assert.False(Json(first).GetProperty("replayed").GetBoolean());
        Assert.True(Json(again).GetProperty("replayed").GetBoolean());
        var published = Assert.Single(await PublishedAsync());
        Assert.Equal(["ds-a", "ds-b"], published.DatasetIds);
        Assert.Equal($"/api/targets/{_target}/runs/{published.RunId}", first.Location);
    }

    [Fact]
    public async Task Identical_calls_racing_on_four_instances_start_one_run()
    {
        await ArrangeAsync(_target, "ds-a");

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostAsync("""{"dataset_ids": ["ds-a"]}""", NoCooldown())));

        Assert.Single(results.Select(r => Assert.IsType<AcceptedResult>(r).Location).Distinct());
        Assert.Single(await PublishedAsync());
    }

    [Fact]
    public async Task An_idempotency_key_replays_its_run_and_refuses_another_body_with_422()
    {
        await ArrangeAsync(_target, "ds-a", "ds-b");
        var key = ("Idempotency-Key", "nightly-2026-01-01");

        var first = Assert.IsType<AcceptedResult>(await PostAsync("""{"dataset_ids": ["ds-a"]}""", NoCooldown(), null, key));
        var again = Assert.IsType<AcceptedResult>(await PostAsync("""{"dataset_ids": ["ds-a"]}""", NoCooldown(), null, key));
        var other = await PostAsync("""{"dataset_ids": ["ds-b"]}""", NoCooldown(), null, key);
        var badKey = await PostAsync("""{"dataset_ids": ["ds-b"]}""", NoCooldown(), null, ("Idempotency-Key", "has space"));

        Assert.Equal(first.Location, again.Location);
        Assert.Equal((StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused"), Refusal(other));
        Assert.Equal((StatusCodes.Status400BadRequest, "invalid_idempotency_key"), Refusal(badKey));
        Assert.Single(await PublishedAsync());
    }

    [Fact]
    public async Task After_the_window_the_same_body_is_a_new_run()
    {
        await ArrangeAsync(_target, "ds-a");
        var settings = NoCooldown(new() { ["Retrain:IdempotencyWindow"] = "00:00:01" });

        var first = Assert.IsType<AcceptedResult>(await PostAsync(null, settings));
        await Task.Delay(1200);
        var second = Assert.IsType<AcceptedResult>(await PostAsync(null, settings));

        Assert.NotEqual(first.Location, second.Location);
        Assert.Equal(2, (await PublishedAsync()).Count);
    }

    [Fact]
    public async Task Repeated_dataset_ids_are_trained_once_each()
    {
        await ArrangeAsync(_target, "ds-a", "ds-b");

        var accepted = Assert.IsType<AcceptedResult>(await PostAsync("""{"dataset_ids": ["ds-a", "ds-a", "ds-b", "ds-a", "ds-b"]}""", NoCooldown()));

        Assert.Equal(["ds-a", "ds-b"], Json(accepted).GetProperty("dataset_ids").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["ds-a", "ds-b"], Assert.Single(await PublishedAsync()).DatasetIds);
    }

    [Fact]
    public async Task Too_many_dataset_ids_or_too_large_a_body_are_refused_before_anything_is_published()
    {
        await ArrangeAsync(_target, "ds-a", "ds-b", "ds-c", "ds-d");
        // 5,000 distinct ids (about 50 KB: inside the body limit), which used to end in a 500 from the queue's 413.
        var five000 = JsonSerializer.Serialize(new { dataset_ids = Enumerable.Range(0, 5000).Select(i => $"ds-{i:x4}") });
        var huge = JsonSerializer.Serialize(new { dataset_ids = new[] { "ds-a" }.Concat(Enumerable.Repeat("ds-a", 20_000)) });

        var named = await PostAsync("""{"dataset_ids": ["ds-a", "ds-b", "ds-c", "ds-d"]}""", NoCooldown(new() { ["Retrain:MaxDatasetIds"] = "3" }));
        var all = await PostAsync(null, NoCooldown(new() { ["Retrain:MaxDatasetIds"] = "3" }));
        var many = await PostAsync(five000, NoCooldown());
        var tooLarge = await PostAsync(huge, NoCooldown());

        Assert.Equal((StatusCodes.Status400BadRequest, "too_many_dataset_ids"), Refusal(named));
        Assert.Equal((StatusCodes.Status400BadRequest, "too_many_dataset_ids"), Refusal(all));
        Assert.Equal((StatusCodes.Status400BadRequest, "too_many_dataset_ids"), Refusal(many));
        Assert.Equal((StatusCodes.Status413PayloadTooLarge, "body_too_large"), Refusal(tooLarge));
        Assert.Empty(await PublishedAsync());
    }

    [Theory]
    [InlineData("""{"dataset_ids": [null]}""", "invalid_dataset_ids")]
    [InlineData("""[null]""", "invalid_json")]
    [InlineData("""{"dataset_ids": "ds-a"}""", "invalid_dataset_ids")]
    [InlineData("""{"dataset_ids": [1]}""", "invalid_dataset_ids")]
    [InlineData("""{"dataset_ids": [["ds-a"]]}""", "invalid_dataset_ids")]
    [InlineData("""{"dataset_ids": null}""", "invalid_dataset_ids")]
    [InlineData("""{"dataset_ids": []}""", "invalid_dataset_ids")]
    [InlineData("""{"dataset_ids": ["ds-a"], "dataset_ids": ["ds-b"]}""", "invalid_dataset_ids")]
    [InlineData("""{"datasets_ids": ["ds-a"]}""", "unknown_field")]
    [InlineData("""{"dataset_ids": ["ds-a"], "force": true}""", "unknown_field")]
    [InlineData("""not json""", "invalid_json")]
    [InlineData("""{"dataset_ids": ["ds-a"]""", "invalid_json")]
    [InlineData("""{"dataset_ids": ["../ds-a"]}""", "invalid_dataset_id")]
    [InlineData("""{"dataset_ids": ["ds-never-ingested"]}""", "unknown_dataset")]
    public async Task A_bad_body_gets_a_typed_400_and_publishes_nothing(string body, string error)
    {
        await ArrangeAsync(_target, "ds-a", "ds-b");

        var result = await PostAsync(body, NoCooldown());

        Assert.Equal((StatusCodes.Status400BadRequest, error), Refusal(result));
        Assert.Empty(await PublishedAsync());
    }

    [Fact]
    public async Task A_second_retrain_within_the_targets_cooldown_gets_429_with_retry_after_while_other_targets_go_on()
    {
        var otherTarget = _target + "-b";
        await ArrangeAsync(_target, "ds-a", "ds-b");
        await ArrangeAsync(otherTarget, "ds-a");
        var cooldown = new Dictionary<string, string?> { ["Retrain:Cooldown"] = "00:01:00" };

        Assert.IsType<AcceptedResult>(await PostAsync("""{"dataset_ids": ["ds-a"]}""", cooldown));
        using var host = Host(cooldown);
        var request = HttpTestHost.Request("""{"dataset_ids": ["ds-b"]}""");
        var cooling = await host.Runs.RequestRetrain(request, _target, default);
        var repeat = await PostAsync("""{"dataset_ids": ["ds-a"]}""", cooldown);
        var other = await PostAsync(null, cooldown, otherTarget);

        Assert.Equal((StatusCodes.Status429TooManyRequests, "cooldown"), Refusal(cooling));
        Assert.InRange(int.Parse(request.HttpContext.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture), 55, 60);
        Assert.True(Json(Assert.IsType<AcceptedResult>(repeat)).GetProperty("replayed").GetBoolean(), "a repeat of the accepted body is its run, not a new one");
        Assert.IsType<AcceptedResult>(other);
        Assert.Equal([_target, otherTarget], (await PublishedAsync()).Select(r => r.Target));
    }

    [Fact]
    public void Options_outside_their_limits_are_named()
    {
        var problems = new RetrainOptions { MaxDatasetIds = 5000, IdempotencyWindow = TimeSpan.Zero, Cooldown = TimeSpan.FromSeconds(-1) }.Problems();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("Retrain:MaxDatasetIds", StringComparison.Ordinal));
        Assert.Empty(new RetrainOptions().Problems());
    }
}
