// The first blob of a version folder, created with If-None-Match: * — whoever creates it owns the number.
namespace Pipeline.Shared.Contracts;

public sealed record VersionAllocation
{
    public required string RunId { get; init; }
    public required string RequestId { get; init; }
    public required string WorkerId { get; init; }
    public required DateTimeOffset AllocatedAt { get; init; }
}
