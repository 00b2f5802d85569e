// The training request message: the versioned contract between ingestion (publisher) and the trainer worker.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Shared.Contracts;

/// <summary>
/// Asks the trainer to train <see cref="Target"/> on <see cref="DatasetIds"/>. Serialised as snake_case JSON;
/// <see cref="SchemaVersion"/> lets a worker reject messages it does not understand.
/// </summary>
public sealed record TrainingRequest
{
    public const int CurrentSchemaVersion = 1;

    [JsonPropertyName("schema_version")] public int SchemaVersion { get; init; } = CurrentSchemaVersion;

    /// <summary>Derived from target + datasets + profile (<see cref="DeriveId"/>): a repeat has the same id.</summary>
    [JsonPropertyName("request_id")] public required string RequestId { get; init; }

    [JsonPropertyName("target")] public required string Target { get; init; }

    /// <summary>Datasets to train on, in the order they were accepted (the newest last).</summary>
    [JsonPropertyName("dataset_ids")] public required IReadOnlyList<string> DatasetIds { get; init; }

    /// <summary>Hash of the target profile the request was made under (empty when none).</summary>
    [JsonPropertyName("profile_hash")] public string ProfileHash { get; init; } = "";

    /// <summary>Why: "new_data" (ingestion) or "retrain" (asked for by a person: trains exactly its datasets).</summary>
    [JsonPropertyName("reason")] public string Reason { get; init; } = NewDataReason;

    public const string NewDataReason = "new_data";
    public const string RetrainReason = "retrain";

    [JsonPropertyName("created_at")] public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>W3C trace context of the publisher, so the trainer's run joins the ingest trace.</summary>
    [JsonPropertyName("traceparent")] public string? TraceParent { get; init; }

    /// <summary>The run this request is: the same request (any delivery, any worker, any host asking) is the same run.
    /// "req-X" runs as "run-X".</summary>
    [JsonIgnore]
    public string RunId => RequestId.StartsWith("req-", StringComparison.Ordinal) ? "run-" + RequestId[4..] : "run-" + RequestId;

    public static string DeriveId(string target, IEnumerable<string> datasetIds, string profileHash)
    {
        var key = $"{target}\n{string.Join(",", datasetIds)}\n{profileHash}";
        return "req-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..24];
    }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>Parses a message body; throws <see cref="FormatException"/> with the reason when it is not a valid request.</summary>
    public static TrainingRequest Parse(string json)
    {
        TrainingRequest? request;
        try
        {
            request = JsonSerializer.Deserialize<TrainingRequest>(json, Json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"training request is not valid JSON: {e.Message}", e);
        }
        if (request is null) throw new FormatException("training request is null");
        if (request.SchemaVersion != CurrentSchemaVersion)
            throw new FormatException($"training request schema_version {request.SchemaVersion} is not supported (expected {CurrentSchemaVersion})");
        if (string.IsNullOrWhiteSpace(request.RequestId) || string.IsNullOrWhiteSpace(request.Target) || request.DatasetIds.Count == 0)
            throw new FormatException("training request needs request_id, target and at least one dataset id");
        if (Targets.TargetName.Problem(request.Target) is { } targetProblem) throw new FormatException($"training request: {targetProblem}");
        return request;
    }
}
