// runs/{target}/{runId}/start.json: the model a run starts from, pinned at its first attempt so that a resumed run
// (after a crash, elsewhere, after latest moved) keeps the same parent and lineage.
namespace Pipeline.Shared.Contracts;

/// <param name="Source">"base-models/..." or a local path, or "models/{target}/v{NNNN}" for a parent version.</param>
/// <param name="ParentVersion">The version continued from (strategy from_latest); null from the base model.</param>
/// <param name="Sha256">Hash of the starting model's files: the base model's, or the parent version's.</param>
/// <param name="BaseModel">The original base model of the lineage (the parent's, when continuing a version).</param>
/// <param name="BaseModelSha256">Its hash; null in start.json files pinned before it was recorded.</param>
public sealed record RunStart(
    string Source, string Sha256, string? ParentVersion, string BaseModel, DateTimeOffset PinnedAt, string? BaseModelSha256 = null);
