// Reads a `.json` file holding one JSON array of row objects, element by element (never the whole array at once).
using System.Text.Json;

namespace Pipeline.Shared.Datasets;

public sealed class JsonArrayReader : IRowReader
{
    private static readonly JsonSerializerOptions Options = new() { MaxDepth = RowParser.MaxJsonDepth };
    private readonly IAsyncEnumerator<JsonElement> _elements;
    private readonly int _batchRows;
    private long _row;

    public JsonArrayReader(Stream stream, int batchRows = 1024, CancellationToken ct = default)
    {
        _elements = JsonSerializer.DeserializeAsyncEnumerable<JsonElement>(stream, Options, ct).GetAsyncEnumerator(ct);
        _batchRows = batchRows;
    }

    public async ValueTask<RawBatch?> NextAsync(CancellationToken ct)
    {
        var batch = new RawBatch();
        while (batch.Rows.Count < _batchRows)
        {
            bool more;
            try
            {
                more = await _elements.MoveNextAsync().ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                throw new RowReadException(ReasonCodes.MalformedJson,
                    $"the JSON array is malformed after row {_row} (line {e.LineNumber + 1}): {e.Message}", _row + 1, e);
            }
            if (!more) break;
            _row++;
            batch.Add(_row, JsonSerializer.SerializeToUtf8Bytes(_elements.Current));
        }
        return batch.Rows.Count > 0 ? batch : null;
    }
}
