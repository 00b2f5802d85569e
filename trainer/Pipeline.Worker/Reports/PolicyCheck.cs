// An optional rule that marks a generated answer on or off policy. A host that registers one (the demo registers its
// data generator's rule) gets, in every report, the on-policy rate of answers sampled on held-out prompts before and after.
namespace Pipeline.Worker.Reports;

/// <param name="Label">What the rule says of the answer ("on policy", "rude", ...).</param>
public sealed record AnswerMark(bool OnPolicy, string Label);

public sealed record PolicyCheck
{
    /// <summary>Names the rule in reports ("support-agent rule").</summary>
    public required string Name { get; init; }

    /// <summary>Marks one answer (the decoded completion, special tokens removed).</summary>
    public required Func<string, AnswerMark> Judge { get; init; }

    /// <summary>Held-out prompts sampled (the first ones of the held-out file that training keeps).</summary>
    public int MaxPrompts { get; init; } = 48;

    public int SamplesPerPrompt { get; init; } = 2;

    /// <summary>Sampling as a deployed model answers: temperature, nucleus (top-p), longest answer in tokens.</summary>
    public double Temperature { get; init; } = 1.0;
    public double TopP { get; init; } = 0.9;
    public int MaxNewTokens { get; init; } = 96;

    /// <summary>Sample i of a model draws with seed Seed + i: the same models and prompts give the same answers.</summary>
    public long Seed { get; init; } = 1;

    public PolicyCheck Validated()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("policy check: a name is required");
        if (MaxPrompts < 1 || SamplesPerPrompt < 1 || MaxNewTokens < 1)
            throw new ArgumentException($"policy check '{Name}': max prompts, samples per prompt and max new tokens must be at least 1");
        if (!(Temperature > 0) || TopP is <= 0 or > 1)
            throw new ArgumentException($"policy check '{Name}': temperature must be > 0 and top-p in (0, 1]");
        return this;
    }
}

/// <summary>How many sampled answers the rule marked on policy, out of how many, and how many got each label.</summary>
public sealed record PolicyRate(int OnPolicy, int Samples, IReadOnlyDictionary<string, int> Labels)
{
    public double Rate => Samples == 0 ? 0 : (double)OnPolicy / Samples;

    public static PolicyRate Of(IEnumerable<AnswerMark> marks)
    {
        var list = marks.ToList();
        return new PolicyRate(list.Count(m => m.OnPolicy), list.Count,
            list.GroupBy(m => m.Label).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count()));
    }
}
