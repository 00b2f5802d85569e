// How often a file is tried again when its ingestion fails for a reason that is not its data (a storage or queue
// fault, a broken target profile), before it is parked with the reason. Section "IngestionRetry" in every host.
namespace Pipeline.Shared.Ingestion;

public sealed record IngestionRetryOptions
{
    public const string SectionName = "IngestionRetry";

    /// <summary>Attempts in all, the first included; after the last the file is parked.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Wait after the first failed attempt; doubled after each further one, up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromMinutes(1);

    /// <summary>The wait before the next attempt after <paramref name="failedAttempts"/> failures.</summary>
    public TimeSpan DelayAfter(int failedAttempts) =>
        TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, FirstDelay.Ticks * (1L << Math.Clamp(failedAttempts - 1, 0, 20))));

    public IngestionRetryOptions Validated()
    {
        if (MaxAttempts is < 1 or > 100) throw new ArgumentException($"{SectionName}:MaxAttempts must be between 1 and 100 (got {MaxAttempts})");
        if (FirstDelay < TimeSpan.Zero || MaxDelay < FirstDelay)
            throw new ArgumentException($"{SectionName}: FirstDelay must be >= 0 and MaxDelay >= FirstDelay (got {FirstDelay}, {MaxDelay})");
        return this;
    }
}
