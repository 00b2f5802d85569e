// Reads a `.json` file holding one JSON array of rows by splitting the byte stream at its top-level elements, without
// parsing them: an element is buffered only up to max_line_bytes (like a JSON Lines line); a longer one is counted and
// skipped, never held. Memory stays at one batch whatever an element's size. Each element is parsed later as a row.
using System.Buffers;

namespace Pipeline.Shared.Datasets;

public sealed class JsonArrayReader(Stream stream, int maxLineBytes, int batchBytes = 1 << 20, int batchRows = 512) : IRowReader
{
    private enum Where { Start, FirstElement, NextElement, InElement, AfterElement, Done }

    private static readonly SearchValues<byte> InString = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> InContainer = SearchValues.Create("\"{}[]"u8);
    private static readonly SearchValues<byte> ScalarEnd = SearchValues.Create(" \t\r\n,]"u8);

    private readonly byte[] _read = new byte[64 * 1024];
    private RawBatch _batch = new();
    private Where _where = Where.Start;
    private bool _first = true;
    private bool _eof;
    private RowReadException? _failed;
    private long _row;           // elements started so far (1-based number of the current one)
    private long _offset;        // bytes consumed so far, for messages
    private int _elementStart;   // where the current element's bytes begin in the batch buffer
    private long _elementLength; // bytes seen in the current element, including dropped ones
    private int _depth;          // open brackets and braces inside the current element
    private bool _scalar, _inString, _escaped;

    public async ValueTask<RawBatch?> NextAsync(CancellationToken ct)
    {
        if (_failed is { } failed) throw failed;
        try
        {
            while (!_eof)
            {
                var n = await stream.ReadAsync(_read, ct).ConfigureAwait(false);
                if (n == 0)
                {
                    _eof = true;
                    Finish();
                    break;
                }
                var span = _read.AsSpan(0, n);
                if (_first)
                {
                    _first = false;
                    ByteOrderMark.ThrowIfNotUtf8(span);
                    if (span.StartsWith(ByteOrderMark.Utf8)) span = span[ByteOrderMark.Utf8.Length..];
                }
                if (Consume(span)) return TakeBatch();
            }
        }
        catch (RowReadException e) when (_batch.Rows.Count > 0)
        {
            // The rows before the break are handed over first; the next call reports it.
            _failed = e;
            _where = Where.Done;
            return TakeBatch();
        }
        return _batch.Rows.Count > 0 ? TakeBatch() : null;
    }

    private RawBatch TakeBatch()
    {
        var full = _batch;
        var inElement = _where == Where.InElement;
        _batch = new RawBatch(Math.Min(full.Buffer.Length, batchBytes + (64 << 10)));
        if (inElement)
        {
            _batch.Append(full.Buffer.AsSpan(_elementStart, full.Count - _elementStart)); // a partial element continues here
            full.Count = _elementStart;
        }
        _elementStart = 0;
        return full;
    }

    /// <summary>Consumes bytes; true when the batch is full.</summary>
    private bool Consume(ReadOnlySpan<byte> span)
    {
        var full = false;
        while (!span.IsEmpty)
        {
            var used = Step(span);
            _offset += used;
            span = span[used..];
            if (_where == Where.AfterElement && (_batch.Count >= batchBytes || _batch.Rows.Count >= batchRows)) full = true;
        }
        return full;
    }

    /// <summary>One step of the splitter over <paramref name="span"/>; returns how many bytes it consumed (at least one).</summary>
    private int Step(ReadOnlySpan<byte> span)
    {
        switch (_where)
        {
            case Where.Start:
            {
                var at = SkipWhitespace(span);
                if (at == span.Length) return at;
                if (span[at] != (byte)'[')
                    throw Malformed($"a .json file must hold one JSON array of rows, but it starts with {Shown(span[at])}");
                _where = Where.FirstElement;
                return at + 1;
            }
            case Where.FirstElement or Where.NextElement:
            {
                var at = SkipWhitespace(span);
                if (at == span.Length) return at;
                if (span[at] == (byte)']')
                {
                    if (_where == Where.NextElement) throw Malformed($"the JSON array has a trailing comma after row {_row}");
                    _where = Where.Done;
                    return at + 1;
                }
                StartElement(span[at]);
                return at;
            }
            case Where.InElement:
                return ScanElement(span);
            case Where.AfterElement:
            {
                var at = SkipWhitespace(span);
                if (at == span.Length) return at;
                if (span[at] == (byte)',') _where = Where.NextElement;
                else if (span[at] == (byte)']') _where = Where.Done;
                else throw Malformed($"the JSON array is malformed after row {_row}: expected ',' or ']' but found {Shown(span[at])}");
                return at + 1;
            }
            default:
            {
                var at = SkipWhitespace(span);
                if (at < span.Length) throw Malformed($"the file goes on after the JSON array ends (found {Shown(span[at])})");
                return at;
            }
        }
    }

    private void StartElement(byte first)
    {
        _row++;
        _where = Where.InElement;
        _elementStart = _batch.Count;
        _elementLength = 0;
        _depth = 0;
        _scalar = first is not ((byte)'{' or (byte)'[' or (byte)'"');
        _inString = _escaped = false;
    }

    /// <summary>Scans the current element up to its end or the end of <paramref name="span"/>, keeping its bytes.</summary>
    private int ScanElement(ReadOnlySpan<byte> span)
    {
        var i = 0;
        var ended = false;
        while (i < span.Length && !ended)
        {
            if (_escaped)
            {
                _escaped = false;
                i++;
                continue;
            }
            if (_scalar && !_inString)
            {
                var end = span[i..].IndexOfAny(ScalarEnd);
                if (end < 0) { i = span.Length; break; }
                i += end;
                ended = true; // the delimiter belongs to the array, not to the element
                break;
            }
            var next = span[i..].IndexOfAny(_inString ? InString : InContainer);
            if (next < 0) { i = span.Length; break; }
            i += next;
            var c = span[i++];
            if (_inString)
            {
                if (c == (byte)'\\') _escaped = true;
                else
                {
                    _inString = false;
                    if (_depth == 0) ended = true; // a top-level string element
                }
            }
            else if (c == (byte)'"') _inString = true;
            else if (c is (byte)'{' or (byte)'[') _depth++;
            else if (--_depth == 0) ended = true; // '}' or ']' closing the element (a mismatch is the row parser's to report)
        }
        Keep(span[..i]);
        if (ended) EndElement();
        return i;
    }

    private void Keep(ReadOnlySpan<byte> bytes)
    {
        var kept = _elementLength <= maxLineBytes;
        _elementLength += bytes.Length;
        if (kept && _elementLength <= maxLineBytes) _batch.Append(bytes);
        else if (kept) _batch.Count = _elementStart; // just went over the cap: drop what was buffered
    }

    private void EndElement()
    {
        if (_elementLength > maxLineBytes)
        {
            _batch.Rows.Add(new RawRow(_row, _elementStart, 0, _elementLength));
        }
        else
        {
            _batch.Rows.Add(new RawRow(_row, _elementStart, _batch.Count - _elementStart, 0));
        }
        _elementStart = _batch.Count;
        _where = Where.AfterElement;
    }

    private void Finish()
    {
        switch (_where)
        {
            case Where.Start or Where.Done:
                return; // nothing but whitespace (the validator reports an empty file), or a complete array
            case Where.InElement when _scalar && !_inString:
                EndElement(); // "[1" ends at the file's end: keep the row, then say the array is not closed
                break;
        }
        throw Malformed($"the JSON array ends early after {_row} rows (the file is truncated or not closed with ']')");
    }

    private RowReadException Malformed(string message) =>
        new(ReasonCodes.MalformedJson, $"{message} (at byte {_offset})");

    private static int SkipWhitespace(ReadOnlySpan<byte> span)
    {
        var at = span.IndexOfAnyExcept(" \t\r\n"u8);
        return at < 0 ? span.Length : at;
    }

    private static string Shown(byte b) => b is >= 0x21 and < 0x7F ? $"'{(char)b}'" : $"byte 0x{b:X2}";
}
