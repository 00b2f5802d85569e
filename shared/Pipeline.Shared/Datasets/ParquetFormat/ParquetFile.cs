// A Parquet file opened for its text columns: checks the magic bytes and the footer's length against the file's real
// length, parses the footer (bounded), and hands out the row groups one at a time as column cursors over the chosen
// columns. Only what the reader needs is supported: flat text columns, the common codecs and encodings.
namespace Pipeline.Shared.Datasets.ParquetFormat;

public sealed class ParquetFile : IDisposable
{
    private static ReadOnlySpan<byte> Magic => "PAR1"u8;

    private readonly Stream _file;
    private readonly ParquetLimits _limits;
    private readonly ParquetFooter _footer;
    private readonly PageBudget _budget;

    private ParquetFile(Stream file, ParquetLimits limits, ParquetFooter footer)
    {
        (_file, _limits, _footer) = (file, limits, footer);
        _budget = new PageBudget(limits);
    }

    /// <summary>The top-level leaf columns (text or not), in schema order.</summary>
    public IReadOnlyList<ParquetColumn> Columns => _footer.Columns;

    public int RowGroupCount => _footer.RowGroupCount;

    /// <summary>Opens <paramref name="file"/> (seekable; not disposed here). Throws <see cref="ParquetFormatException"/>.</summary>
    public static async Task<ParquetFile> OpenAsync(Stream file, ParquetLimits limits, CancellationToken ct)
    {
        var length = file.Length;
        if (length < 12) throw new ParquetFormatException($"the file is {length} bytes, too short for Parquet (no 'PAR1' header and footer)");
        var head = new byte[4];
        var tail = new byte[8];
        file.Position = 0;
        await file.ReadExactlyAsync(head, ct).ConfigureAwait(false);
        file.Position = length - 8;
        await file.ReadExactlyAsync(tail, ct).ConfigureAwait(false);
        if (!head.AsSpan().SequenceEqual(Magic)) throw new ParquetFormatException("the file does not start with 'PAR1'");
        if (tail.AsSpan(4).SequenceEqual("PARE"u8)) throw new ParquetFormatException("the file is encrypted, which is not supported");
        if (!tail.AsSpan(4).SequenceEqual(Magic)) throw new ParquetFormatException("the file does not end with 'PAR1' (it is truncated or not Parquet)");
        var footerLength = (long)BitConverter.ToUInt32(tail, 0);
        if (footerLength > length - 12)
            throw new ParquetFormatException($"the footer claims {footerLength} bytes but the file has {length - 12} between its magic bytes");
        if (footerLength > limits.MaxFooterBytes)
            throw new ParquetFormatException($"the footer is {footerLength} bytes, over this reader's limit of {limits.MaxFooterBytes} bytes");
        var footerStart = length - 8 - footerLength;
        var bytes = new byte[footerLength];
        file.Position = footerStart;
        await file.ReadExactlyAsync(bytes, ct).ConfigureAwait(false);
        ParquetFooter footer;
        try
        {
            footer = new ParquetFooter(bytes, footerStart, limits);
        }
        catch (ThriftTruncatedException e)
        {
            throw new ParquetFormatException($"the footer is corrupt or truncated ({e.Message})");
        }
        return new ParquetFile(file, limits, footer);
    }

    /// <summary>The next row group's cursors over <paramref name="columns"/> (text columns of <see cref="Columns"/>),
    /// or null after the last row group.</summary>
    public ParquetRowGroup? NextRowGroup(IReadOnlyList<ParquetColumn> columns)
    {
        RowGroupInfo? info;
        try
        {
            info = _footer.ReadNextRowGroup(columns);
        }
        catch (ThriftTruncatedException e)
        {
            throw new ParquetFormatException($"the footer is corrupt or truncated ({e.Message})");
        }
        if (info is null) return null;
        var cursors = new ColumnCursor[info.Chunks.Length];
        try
        {
            for (var i = 0; i < cursors.Length; i++) cursors[i] = new ColumnCursor(_file, info.Chunks[i], info.Index, _budget, _limits);
        }
        catch
        {
            foreach (var c in cursors) c?.Dispose();
            throw;
        }
        return new ParquetRowGroup(info.Index, info.Rows, cursors);
    }

    public void Dispose() => _file.Dispose();
}

/// <summary>One row group: the rows its footer claims and a cursor per chosen column (same order).</summary>
public sealed class ParquetRowGroup : IDisposable
{
    private readonly ColumnCursor[] _columns;

    internal ParquetRowGroup(int index, long rows, ColumnCursor[] columns) => (Index, Rows, _columns) = (index, rows, columns);

    public int Index { get; }

    /// <summary>Rows the footer claims; the cursors prove it: a column that runs out first makes the file corrupt.</summary>
    public long Rows { get; }

    public int ColumnCount => _columns.Length;

    /// <summary>Makes sure column <paramref name="column"/> has a value to take, loading pages as needed.</summary>
    public async ValueTask EnsureValueAsync(int column, long rowsTaken, CancellationToken ct)
    {
        var cursor = _columns[column];
        while (!cursor.HasValue)
            if (!await cursor.NextPageAsync(ct).ConfigureAwait(false))
                throw new ParquetFormatException($"row group {Index} claims {Rows} rows but its column '{cursor.Name}' ends after {rowsTaken} values");
    }

    /// <summary>The next value of <paramref name="column"/> (after <see cref="EnsureValueAsync"/>); null values set <paramref name="isNull"/>.</summary>
    public ReadOnlySpan<byte> Take(int column, out bool isNull) => _columns[column].Take(out isNull);

    public void Dispose()
    {
        foreach (var c in _columns) c.Dispose();
    }
}
