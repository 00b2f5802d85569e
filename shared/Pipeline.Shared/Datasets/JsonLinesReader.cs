// Splits a JSON Lines stream into batches of rows with bounded memory: a line longer than the cap is counted and
// skipped, never buffered. Strips a UTF-8 BOM and trailing \r; blank lines are skipped but keep line numbers right.
// At most 512 rows a batch, so the per-batch outcome array stays off the large object heap.
namespace Pipeline.Shared.Datasets;

public sealed class JsonLinesReader(Stream stream, int maxLineBytes, int batchBytes = 1 << 20, int batchRows = 512) : IRowReader
{
    private readonly byte[] _read = new byte[64 * 1024];
    private RawBatch _batch = new();
    private int _lineStart;
    private long _lineLength;   // bytes seen in the current line, including dropped ones
    private long _lineNumber = 1;
    private bool _first = true;
    private bool _done;

    public async ValueTask<RawBatch?> NextAsync(CancellationToken ct)
    {
        while (!_done)
        {
            var n = await stream.ReadAsync(_read, ct).ConfigureAwait(false);
            if (n == 0)
            {
                _done = true;
                if (_lineLength > 0) EndLine();
                break;
            }
            if (Consume(n)) return TakeBatch();
        }
        return _batch.Rows.Count > 0 ? TakeBatch() : null;
    }

    private RawBatch TakeBatch()
    {
        var full = _batch;
        var carry = full.Buffer.AsSpan(_lineStart, full.Count - _lineStart);
        // Sized like the last one, so a batch is not grown (and copied) four times on its way to ~1 MB.
        _batch = new RawBatch(Math.Min(full.Buffer.Length, batchBytes + (64 << 10)));
        _batch.Append(carry);   // a partial line continues in the next batch
        full.Count = _lineStart;
        _lineStart = 0;
        return full;
    }

    /// <summary>Consumes n bytes of the read buffer; true when the batch is full.</summary>
    private bool Consume(int n)
    {
        var span = _read.AsSpan(0, n);
        if (_first)
        {
            _first = false;
            ByteOrderMark.ThrowIfNotUtf8(span);
            if (span.StartsWith(ByteOrderMark.Utf8)) span = span[ByteOrderMark.Utf8.Length..];
        }
        var full = false;
        while (!span.IsEmpty)
        {
            var nl = span.IndexOf((byte)'\n');
            var chunk = nl < 0 ? span : span[..nl];
            var kept = _lineLength <= maxLineBytes;
            _lineLength += chunk.Length;
            if (kept && _lineLength <= maxLineBytes) _batch.Append(chunk);
            else if (kept) _batch.Count = _lineStart; // just went over the cap: drop what was buffered
            if (nl < 0) break;
            span = span[(nl + 1)..];
            EndLine();
            if (_batch.Count >= batchBytes || _batch.Rows.Count >= batchRows) full = true;
        }
        return full;
    }

    private void EndLine()
    {
        if (_lineLength > maxLineBytes)
        {
            _batch.Rows.Add(new RawRow(_lineNumber, _lineStart, 0, _lineLength));
        }
        else
        {
            var line = _batch.Buffer.AsSpan(_lineStart, _batch.Count - _lineStart);
            if (line.EndsWith((byte)'\r')) line = line[..^1];
            if (line.Trim(" \t\r"u8).Length > 0) _batch.Rows.Add(new RawRow(_lineNumber, _lineStart, line.Length, 0));
            else _batch.Count = _lineStart;
        }
        _lineStart = _batch.Count;
        _lineLength = 0;
        _lineNumber++;
    }
}
