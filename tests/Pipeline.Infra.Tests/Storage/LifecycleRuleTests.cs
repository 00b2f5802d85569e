// The checkpoint lifecycle rule of infra/modules/storage.bicep, read from the compiled template and applied to what
// the trainer really writes on Azurite: it selects every checkpoint blob of a run and nothing else under runs/.
using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Infra.Tests.Bicep;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Infra.Tests.Storage;

[Collection(AzuriteCollection.Name)]
public sealed class LifecycleRuleTests(AzuriteFixture azurite, BicepBuildFixture bicep) : IClassFixture<BicepBuildFixture>
{
    /// <summary>The filters of one lifecycle rule, as Azure Storage applies them to a blob.</summary>
    private sealed record RuleFilter(IReadOnlyList<string> Prefixes, IReadOnlyList<(string Name, string Op, string Value)> Tags)
    {
        public static RuleFilter Of(JsonElement definition)
        {
            var filters = definition.GetProperty("filters");
            var prefixes = filters.GetProperty("prefixMatch").EnumerateArray().Select(p => p.GetString()!).ToList();
            var tags = filters.TryGetProperty("blobIndexMatch", out var match)
                ? match.EnumerateArray().Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("op").GetString()!, t.GetProperty("value").GetString()!)).ToList()
                : [];
            return new RuleFilter(prefixes, tags);
        }

        /// <summary>A prefix match is on "{container}/{blob}"; every tag condition must hold ("==" is the only op Azure offers).</summary>
        public bool Matches(string container, string blobName, IDictionary<string, string> blobTags) =>
            Prefixes.Any(p => (container + "/" + blobName).StartsWith(p, StringComparison.Ordinal))
            && Tags.All(t => t.Op == "==" && blobTags.TryGetValue(t.Name, out var v) && v == t.Value);
    }

    private JsonElement CheckpointRule() =>
        ArmTemplate.Single(bicep.MainTemplate, "Microsoft.Storage/storageAccounts/managementPolicies")
            .Path("properties", "policy", "rules").EnumerateArray()
            .Single(r => r.GetProperty("name").GetString() == "delete-old-checkpoints");

    [Fact]
    public async Task Checkpoint_rule_selects_every_checkpoint_blob_the_trainer_writes_and_nothing_else_of_the_run()
    {
        var rule = CheckpointRule();
        var filter = RuleFilter.Of(rule.GetProperty("definition"));
        Assert.True(rule.GetProperty("enabled").GetBoolean());
        Assert.True(rule.Path("definition", "actions", "baseBlob", "delete").TryGetProperty("daysAfterModificationGreaterThan", out _));

        // A run as the worker leaves it: two checkpoints through CheckpointStore, and the run's other files.
        var runs = azurite.BlobService().GetBlobContainerClient(StorageLayout.Runs);
        await runs.CreateIfNotExistsAsync();
        var target = "lifecycle-" + Guid.NewGuid().ToString("N")[..8];
        var store = new CheckpointStore(runs, target, "run-1", StorageRetry.Create(), NullLogger.Instance);
        using var local = new TempDir();
        File.WriteAllBytes(local.File("model.safetensors"), new byte[4096]);
        File.WriteAllText(local.File("trainer_state.json"), "{}");
        await store.UploadAsync(local.Path, 10, CancellationToken.None);
        await store.UploadAsync(local.Path, 20, CancellationToken.None);
        foreach (var other in new[] { "status.json", "metrics.jsonl", "report.json", "report.md" })
            await runs.GetBlobClient(StorageLayout.RunPrefix(target, "run-1") + other).UploadAsync(BinaryData.FromString("{}"));

        var selected = new List<string>();
        var kept = new List<string>();
        await foreach (var blob in runs.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = target + "/" }))
        {
            var tags = (await runs.GetBlobClient(blob.Name).GetTagsAsync()).Value.Tags;
            (filter.Matches(StorageLayout.Runs, blob.Name, tags) ? selected : kept).Add(blob.Name);
        }

        var checkpoints = StorageLayout.RunCheckpointsPrefix(target, "run-1");
        Assert.Equal(6, selected.Count); // two files and a marker, twice
        Assert.All(selected, name => Assert.StartsWith(checkpoints, name));
        Assert.Equal(4, kept.Count);
        Assert.All(kept, name => Assert.DoesNotContain("/checkpoints/", name));
    }
}
