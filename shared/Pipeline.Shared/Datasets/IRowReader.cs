// A container format read as batches of raw JSON rows (JSON Lines, JSON array, Parquet).
namespace Pipeline.Shared.Datasets;

public interface IRowReader
{
    /// <summary>The next batch, or null at the end. Throws <see cref="RowReadException"/> when the container itself is broken.</summary>
    ValueTask<RawBatch?> NextAsync(CancellationToken ct);
}

/// <summary>The file cannot be read further: the report names the reason code and the row where reading stopped.</summary>
public sealed class RowReadException(string reason, string message, long? row = null, Exception? inner = null)
    : Exception(message, inner)
{
    public string Reason { get; } = reason;
    public long? Row { get; } = row;
}
