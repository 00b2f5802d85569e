// Decoding settings for TokenGenerator: greedy when Temperature is 0, else temperature + nucleus (top-p) sampling.
namespace Pipeline.Training.Generation;

public sealed record GenerationOptions
{
    public int MaxNewTokens { get; init; } = 64;
    /// <summary>0 = greedy (argmax); otherwise logits are divided by it before sampling.</summary>
    public double Temperature { get; init; }
    /// <summary>Nucleus sampling: keep the most likely tokens whose probabilities sum to at least TopP.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>Seed of the sampling generator; the same seed gives the same tokens.</summary>
    public long Seed { get; init; }
    /// <summary>Generation stops after emitting any of these (usually the EOS ids); the stop token is included.</summary>
    public IReadOnlyList<long> StopTokenIds { get; init; } = [];
    /// <summary>Ids at or above this are never drawn: the rows a model's vocabulary was padded with, which its tokenizer
    /// has no token for (null: every row of the logits).</summary>
    public int? VocabularyLimit { get; init; }
    /// <summary>False recomputes the whole sequence each step (the reference the KV cache is tested against).</summary>
    public bool UseKvCache { get; init; } = true;

    public void Validate()
    {
        if (MaxNewTokens < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxNewTokens), MaxNewTokens, "max new tokens must be at least 1.");
        if (Temperature < 0 || double.IsNaN(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be 0 (greedy) or positive.");
        if (VocabularyLimit is < 1)
            throw new ArgumentOutOfRangeException(nameof(VocabularyLimit), VocabularyLimit, "vocabulary limit must be at least 1.");
        if (TopP is <= 0 or > 1 || double.IsNaN(TopP))
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1].");
    }
}

public enum StopReason
{
    /// <summary>A stop token (EOS) was generated.</summary>
    StopToken,
    /// <summary>MaxNewTokens were generated.</summary>
    Length,
}

/// <summary>The new tokens only (not the prompt), and why decoding stopped.</summary>
public sealed record GenerationResult(IReadOnlyList<long> TokenIds, StopReason StopReason);
