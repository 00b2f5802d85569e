// models/{target}/latest.json: which version serves, with the metrics the gate compares against.
namespace Pipeline.Shared.Contracts;

public sealed record LatestPointer
{
    public required string Target { get; init; }
    public required string Version { get; init; }
    public required string RunId { get; init; }
    public required IReadOnlyDictionary<string, double> Metrics { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}
