// manifest.json of a model version: its lineage (base model, datasets, request, hyper-parameters, code) and results.
// Written last, so a version folder with a manifest is complete.
using System.Text.Json.Serialization;
using Pipeline.Shared.Orpo;

namespace Pipeline.Shared.Contracts;

public sealed record ModelManifest
{
    public required string Target { get; init; }
    public required string Version { get; init; }
    public required string RunId { get; init; }
    public required string RequestId { get; init; }
    /// <summary>The original base model of the lineage, also when this version continued from a parent version.</summary>
    public required BaseModelLineage BaseModel { get; init; }
    /// <summary>The version training started from (strategy from_latest) and its model's hash; null from the base model.</summary>
    public ParentLineage? Parent { get; init; }
    [JsonIgnore] public string? ParentVersion => Parent?.Version;
    public required IReadOnlyList<string> DatasetIds { get; init; }
    /// <summary>"full" or "lora".</summary>
    public required string TrainingMode { get; init; }
    /// <summary>ORPO hyper-parameters with TRL's names, as the run used them.</summary>
    public required OrpoConfig HyperParameters { get; init; }
    /// <summary>eval_* metrics of this version on the run's held-out split.</summary>
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required GateDecision Gate { get; init; }
    public required string CodeVersion { get; init; }
    public required RunTimings Timings { get; init; }
    public required IReadOnlyList<ManifestFile> Files { get; init; }
}

/// <summary>Where the base model came from ("base-models/llama-tiny" or a local path) and the hash of its files.</summary>
public sealed record BaseModelLineage(string Source, string Sha256);

/// <summary>The version a run continued from ("v0001") and the SHA-256 of its model files (FileHash.FolderSha256Async).</summary>
public sealed record ParentLineage(string Version, string Sha256);

public sealed record ManifestFile(string Path, long Bytes, string Sha256);

/// <summary>Wall-clock milestones of a run (UTC) and the durations derived from them, in seconds.</summary>
public sealed record RunTimings
{
    public required DateTimeOffset RequestCreatedAt { get; init; }
    public required DateTimeOffset ReceivedAt { get; init; }
    public required DateTimeOffset TrainingStartedAt { get; init; }
    public required DateTimeOffset TrainingFinishedAt { get; init; }
    public required DateTimeOffset FinishedAt { get; init; }
    public double TrainingSeconds => (TrainingFinishedAt - TrainingStartedAt).TotalSeconds;
    public double TotalSeconds => (FinishedAt - ReceivedAt).TotalSeconds;
}
