// What one validation needs: the target profile's ingestion fields, an optional tokenizer, and duplicate-index input.
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;

namespace Pipeline.Shared.Datasets;

public sealed record ValidationSettings
{
    public TargetProfile Profile { get; init; } = TargetProfile.Default;

    /// <summary>Counts tokens for max_length; without one (or without max_length) the character limit applies.</summary>
    public ITextTokenizer? Tokenizer { get; init; }

    /// <summary>Name shown in the report for <see cref="Tokenizer"/>.</summary>
    public string? TokenizerName { get; init; }

    /// <summary>Pair hashes of the target's earlier datasets (duplicate_pair across datasets).</summary>
    public IReadOnlySet<UInt128> KnownPairs { get; init; } = new HashSet<UInt128>();

    /// <summary>Rows validated per core at once is bounded by this many batches in flight.</summary>
    public int Parallelism { get; init; } = Environment.ProcessorCount;

    internal bool CountsTokens => Tokenizer is not null;
}
