// What the HTTP functions read of the trainer's work, through the shared stores: a target's runs (status.json) and its
// model versions with their manifests and latest.json. Retrain requests are RetrainService's.
using Azure.Storage.Blobs;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Functions.Runs;

/// <summary>A target's versions, oldest first, and the one latest.json names (null before the first promotion).</summary>
public sealed record VersionListing(string Target, LatestPointer? Latest, IReadOnlyList<VersionEntry> Versions);

public sealed class RunsCatalog(BlobServiceClient blobs)
{
    private readonly RunStore _runs = new(blobs);

    /// <summary>status.json of every run of the target, newest update first.</summary>
    public Task<IReadOnlyList<RunStatus>> ListRunsAsync(string target, CancellationToken ct) =>
        _runs.ListStatusesAsync(TargetName.Validate(target), ct);

    public Task<RunStatus?> GetRunAsync(string target, string runId, CancellationToken ct) => _runs.ReadStatusAsync(target, runId, ct);

    /// <summary>Every version with its manifest (a version without one is still being written) and latest.</summary>
    public async Task<VersionListing> ListVersionsAsync(string target, CancellationToken ct) => new(
        target,
        (await new LatestPointerStore(blobs).ReadAsync(TargetName.Validate(target), ct)).Pointer,
        await new ModelVersionStore(blobs).ListAsync(target, ct));
}
