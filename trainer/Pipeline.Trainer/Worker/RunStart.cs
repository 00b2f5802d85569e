// runs/{target}/{runId}/start.json: the model a run starts from, pinned at its first attempt so that a resumed run
// (after a crash, elsewhere, after latest moved) keeps the same parent and lineage.
namespace Pipeline.Trainer.Worker;

/// <param name="Source">"base-models/..." or a local path, or "models/{target}/v{NNNN}" for a parent version.</param>
/// <param name="ParentVersion">The version continued from (strategy from_latest); null from the base model.</param>
/// <param name="BaseModel">The target's configured base model (lineage even when continuing a version).</param>
public sealed record RunStart(string Source, string Sha256, string? ParentVersion, string BaseModel, DateTimeOffset PinnedAt);
