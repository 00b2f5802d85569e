// What the Parquet reader may hold at once, fixed whatever a file claims: every size read from a footer or page header
// is checked against these and against the bytes actually present before a buffer is allocated.
namespace Pipeline.Shared.Datasets.ParquetFormat;

public sealed record ParquetLimits
{
    /// <summary>Largest footer (file metadata) read into memory.</summary>
    public int MaxFooterBytes { get; init; } = 16 << 20;

    /// <summary>Largest page header (Thrift, with statistics).</summary>
    public int MaxPageHeaderBytes { get; init; } = 1 << 20;

    /// <summary>Largest page, compressed or not, and largest dictionary page.</summary>
    public int MaxPageBytes { get; init; } = 16 << 20;

    /// <summary>Page and dictionary bytes held at once over all the columns read together.</summary>
    public long MaxLivePageBytes { get; init; } = 96L << 20;

    /// <summary>Most schema elements (columns and groups) in a file.</summary>
    public int MaxSchemaElements { get; init; } = 100_000;

    public static ParquetLimits Default { get; } = new();
}

/// <summary>Counts the page bytes the reader holds; a reservation over the limit stops the file, not the process.</summary>
internal sealed class PageBudget(ParquetLimits limits)
{
    private long _held;

    public void Reserve(long bytes, string what)
    {
        if (bytes > limits.MaxPageBytes)
            throw new ParquetFormatException($"{what} is {bytes} bytes, over this reader's page limit of {limits.MaxPageBytes} bytes " +
                                             "(write smaller pages or row groups)");
        if (_held + bytes > limits.MaxLivePageBytes)
            throw new ParquetFormatException($"{what} ({bytes} bytes) would take the pages held at once past this reader's limit of " +
                                             $"{limits.MaxLivePageBytes} bytes (write smaller pages or row groups)");
        _held += bytes;
    }

    public void Release(long bytes) => _held -= bytes;
}
