// Options of the retrain endpoint (section "Retrain"), validated at start: how many datasets one request may name,
// how long the same body (or Idempotency-Key) means the same run, and the least time between two runs of a target.
namespace Pipeline.Functions.Runs;

public sealed record RetrainOptions
{
    public const string SectionName = "Retrain";

    /// <summary>Most datasets one retrain may train on (named, or all of the target's). 1,000 keeps the request well
    /// inside a queue message (64 KB on Storage Queue, base64).</summary>
    public int MaxDatasetIds { get; init; } = 100;

    /// <summary>How long a repeat of the same body (or the same Idempotency-Key) answers with the run it started.</summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromHours(1);

    /// <summary>Least time between two accepted retrains of one target; zero turns the cooldown off.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromMinutes(5);

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (MaxDatasetIds is < 1 or > 1000) p.Add($"{SectionName}:MaxDatasetIds must be between 1 and 1000 (was {MaxDatasetIds})");
        if (IdempotencyWindow <= TimeSpan.Zero || IdempotencyWindow > TimeSpan.FromDays(7))
            p.Add($"{SectionName}:IdempotencyWindow must be positive and at most 7 days (was {IdempotencyWindow})");
        if (Cooldown < TimeSpan.Zero || Cooldown > TimeSpan.FromDays(1))
            p.Add($"{SectionName}:Cooldown must be between 0 and 1 day (was {Cooldown})");
        return p;
    }
}
