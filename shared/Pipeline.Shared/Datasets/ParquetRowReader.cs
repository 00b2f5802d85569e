// Reads a Parquet file (seekable stream) through the bounded reader in ParquetFormat/: the chosen flat text columns of
// each row group become one JSON object per row, page by page (never a whole row group). A row longer than
// max_line_bytes is counted, not built; the bytes of the rows built count against max_file_bytes, so a file whose pages
// or dictionary expand without end stops there like a gzip bomb. A broken or lying file is an unreadable_file reason.
using System.Buffers;
using System.Text;
using System.Text.Unicode;
using Pipeline.Shared.Datasets.ParquetFormat;

namespace Pipeline.Shared.Datasets;

public sealed class ParquetRowReader(
    Stream seekable, int maxLineBytes, long maxDecodedBytes, IReadOnlyCollection<string>? wantedColumns = null,
    ParquetLimits? limits = null, int batchBytes = 1 << 20, int batchRows = 512) : IRowReader, IAsyncDisposable
{
    /// <summary>Columns shown in rows when none of the wanted ones exist, so the report can name what the file has.</summary>
    private const int ShownColumns = 8;

    private static readonly SearchValues<byte> NeedsEscape = SearchValues.Create([.. Enumerable.Range(0, 0x20).Select(b => (byte)b), (byte)'"', (byte)'\\']);

    private ParquetFile? _file;
    private ParquetColumn[] _columns = [];
    private byte[][] _keys = [];   // "\"name\":" per chosen column, escaped
    private ParquetRowGroup? _group;
    private long _groupRowsTaken;
    private long _row;
    private long _decoded;
    private bool _done;
    private RowReadException? _failed;

    public async ValueTask<RawBatch?> NextAsync(CancellationToken ct)
    {
        if (_failed is { } failed) throw failed;
        if (_done) return null;
        var batch = new RawBatch();
        try
        {
            if (_file is null) await OpenAsync(ct).ConfigureAwait(false);
            while (batch.Rows.Count < batchRows && batch.Count < batchBytes)
            {
                if (_group is null || _groupRowsTaken == _group.Rows)
                {
                    _group?.Dispose();
                    _group = null;
                    _group = _file!.NextRowGroup(_columns);
                    _groupRowsTaken = 0;
                    if (_group is null)
                    {
                        _done = true;
                        break;
                    }
                    continue;
                }
                for (var c = 0; c < _columns.Length; c++) await _group.EnsureValueAsync(c, _groupRowsTaken, ct).ConfigureAwait(false);
                AddRow(batch);
                _groupRowsTaken++;
            }
        }
        catch (ParquetFormatException e)
        {
            var unreadable = new RowReadException(ReasonCodes.UnreadableFile, $"not a readable Parquet file: {e.Message}", null, e);
            if (batch.Rows.Count == 0) throw unreadable;
            // The rows before the break are handed over first; the next call reports it.
            (_failed, _done) = (unreadable, true);
        }
        return batch.Rows.Count > 0 ? batch : null;
    }

    private async Task OpenAsync(CancellationToken ct)
    {
        _file = await ParquetFile.OpenAsync(seekable, limits ?? ParquetLimits.Default, ct).ConfigureAwait(false);
        var text = _file.Columns.Where(c => c.IsText && !c.IsRepeated).DistinctBy(c => c.Name).ToList();
        if (text.Count == 0)
            throw new RowReadException(ReasonCodes.UnknownSchema,
                $"the Parquet file has no text columns (it has {string.Join(", ", _file.Columns.Take(ShownColumns).Select(c => $"{c.Name}: {(c.IsRepeated ? "list of " : "")}{c.Type}"))}); " +
                "prompt, chosen and rejected must be flat string columns");
        var chosen = wantedColumns is null ? text : text.Where(c => wantedColumns.Contains(c.Name)).ToList();
        _columns = [.. chosen.Count > 0 ? chosen : text.Take(ShownColumns)];
        _keys = [.. _columns.Select(c => Encoding.UTF8.GetBytes($"\"{EscapedName(c.Name)}\":"))];
    }

    /// <summary>Appends the current row of every chosen column as a JSON object, or an oversize row past the line cap.</summary>
    private void AddRow(RawBatch batch)
    {
        var start = batch.Count;
        var kept = true;
        long length = 1;
        batch.Append("{"u8);
        for (var c = 0; c < _columns.Length; c++)
        {
            var value = _group!.Take(c, out var isNull);
            var valid = isNull || Utf8.IsValid(value);
            length += (c > 0 ? 1 : 0) + _keys[c].Length + (isNull ? 4 : 2 + (valid ? EscapedLength(value) : value.Length));
            if (kept && length + 1 <= maxLineBytes)
            {
                if (c > 0) batch.Append(","u8);
                batch.Append(_keys[c]);
                if (isNull) batch.Append("null"u8);
                else
                {
                    batch.Append("\""u8);
                    // Invalid UTF-8 is kept as it is: the row's encoding check rejects it with the reason.
                    if (valid) AppendEscaped(batch, value);
                    else batch.Append(value);
                    batch.Append("\""u8);
                }
            }
            else if (kept)
            {
                kept = false;
                batch.Count = start;
            }
        }
        length++;
        _row++;
        if (kept)
        {
            batch.Append("}"u8);
            batch.Rows.Add(new RawRow(_row, start, batch.Count - start, 0));
        }
        else
        {
            batch.Rows.Add(new RawRow(_row, start, 0, length));
        }
        _decoded += length;
        if (_decoded > maxDecodedBytes) throw new DataLimitExceededException(maxDecodedBytes);
    }

    private static long EscapedLength(ReadOnlySpan<byte> value)
    {
        long length = value.Length;
        var at = value.IndexOfAny(NeedsEscape);
        while (at >= 0)
        {
            length += value[at] < 0x20 ? 5 : 1; // \u00XX or \" \\
            var next = value[(at + 1)..].IndexOfAny(NeedsEscape);
            at = next < 0 ? -1 : at + 1 + next;
        }
        return length;
    }

    private static void AppendEscaped(RawBatch batch, ReadOnlySpan<byte> value)
    {
        Span<byte> escape = stackalloc byte[6];
        while (!value.IsEmpty)
        {
            var at = value.IndexOfAny(NeedsEscape);
            if (at < 0)
            {
                batch.Append(value);
                return;
            }
            batch.Append(value[..at]);
            var b = value[at];
            if (b < 0x20)
            {
                "\\u00"u8.CopyTo(escape);
                escape[4] = (byte)"0123456789abcdef"[b >> 4];
                escape[5] = (byte)"0123456789abcdef"[b & 0xF];
                batch.Append(escape);
            }
            else
            {
                escape[0] = (byte)'\\';
                escape[1] = b;
                batch.Append(escape[..2]);
            }
            value = value[(at + 1)..];
        }
    }

    private static string EscapedName(string name) =>
        System.Text.Json.JsonEncodedText.Encode(name, System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping).ToString();

    public ValueTask DisposeAsync()
    {
        _group?.Dispose();
        if (_file is not null) _file.Dispose();
        else seekable.Dispose();
        return ValueTask.CompletedTask;
    }
}
