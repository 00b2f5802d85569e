// runs/{target}/{runId}/status.json: where a run stands, for people and for other workers (heartbeat).
using Pipeline.Shared.Storage;

namespace Pipeline.Shared.Contracts;

public enum RunState
{
    Queued,
    Running,
    Succeeded,
    Failed,
    Rejected,
}

public sealed record RunStatus
{
    public required RunState State { get; init; }
    public required string Target { get; init; }
    public required string RunId { get; init; }
    public required string RequestId { get; init; }
    public required IReadOnlyList<string> DatasetIds { get; init; }
    /// <summary>What the run is doing: "resolving base model", "training", "writing version", ...</summary>
    public string? Stage { get; init; }
    public string? WorkerId { get; init; }
    /// <summary>Delivery of the request this attempt runs under (1 on the first).</summary>
    public int Attempt { get; init; }
    public int? Step { get; init; }
    public int? TotalSteps { get; init; }
    public double? Loss { get; init; }
    public double? TokensPerSecond { get; init; }
    public double? EtaSeconds { get; init; }
    public int? ResumedFromStep { get; init; }
    /// <summary>Why a run failed, or why it is queued again (interrupted, retrying).</summary>
    public string? Reason { get; init; }
    public string? Version { get; init; }
    public GateDecision? Gate { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public bool IsFinished => State is RunState.Succeeded or RunState.Rejected;
}
