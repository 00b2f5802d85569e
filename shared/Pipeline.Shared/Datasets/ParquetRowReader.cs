// Reads a Parquet file (seekable stream) row group by row group; flat string columns become one JSON object per row.
using System.Buffers;
using System.Text.Json;
using Parquet;
using Parquet.Schema;

namespace Pipeline.Shared.Datasets;

public sealed class ParquetRowReader(Stream seekable) : IRowReader, IAsyncDisposable
{
    private ParquetReader? _reader;
    private int _group;
    private long _row;

    public async ValueTask<RawBatch?> NextAsync(CancellationToken ct)
    {
        if (_reader is null)
        {
            try
            {
                _reader = await ParquetReader.CreateAsync(seekable, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or ArgumentException or InvalidOperationException)
            {
                throw new RowReadException(ReasonCodes.UnreadableFile, $"not a readable Parquet file: {e.Message}", null, e);
            }
        }
        if (_group >= _reader.RowGroupCount) return null;

        using var group = _reader.OpenRowGroupReader(_group++);
        var rows = checked((int)group.RowCount);
        // Only flat string columns can hold prompt/chosen/rejected text; other columns are left out of the row.
        var fields = _reader.Schema.GetDataFields().Where(f => (f.ClrType == typeof(string) || f.ClrType == typeof(ReadOnlyMemory<char>)) && !f.IsArray).ToList();
        var columns = new List<(string Name, string?[] Values)>();
        foreach (var field in fields)
        {
            var values = new string?[rows];
            await group.ReadAsync(field, values.AsMemory()!, null, ct).ConfigureAwait(false);
            columns.Add((field.Name, values));
        }

        var batch = new RawBatch();
        var buffer = new ArrayBufferWriter<byte>(1024);
        for (var i = 0; i < rows; i++)
        {
            buffer.ResetWrittenCount();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                foreach (var (name, values) in columns)
                {
                    if (values[i] is { } v) w.WriteString(name, v);
                    else w.WriteNull(name);
                }
                w.WriteEndObject();
            }
            batch.Add(++_row, buffer.WrittenSpan);
        }
        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        if (_reader is not null) await CastAndDispose(_reader).ConfigureAwait(false);
        await seekable.DisposeAsync().ConfigureAwait(false);

        static async ValueTask CastAndDispose(object o)
        {
            if (o is IAsyncDisposable a) await a.DisposeAsync().ConfigureAwait(false);
            else if (o is IDisposable d) d.Dispose();
        }
    }
}
