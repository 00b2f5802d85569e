// Opens a file for validation by its container (extension): JSON Lines (.jsonl, .jsonl.gz), JSON array (.json), Parquet.
// Every path is wrapped in a byte limit after decompression, so a gzip bomb stops at the target's size limit, and every
// reader holds at most one row's bytes (max_line_bytes) plus one batch, whatever sizes a file claims.

namespace Pipeline.Shared.Datasets;

public static class DatasetFile
{
    public static readonly IReadOnlyList<string> SupportedExtensions = [".jsonl", ".jsonl.gz", ".ndjson", ".json", ".json.gz", ".parquet"];

    public static bool IsSupported(string fileName) => Container(fileName) is not null;

    /// <summary>"jsonl", "json" or "parquet" (with gz flag), or null for an unsupported extension.</summary>
    public static (string Kind, bool Gzip)? Container(string fileName)
    {
        var n = fileName.ToLowerInvariant();
        if (n.EndsWith(".jsonl") || n.EndsWith(".ndjson")) return ("jsonl", false);
        if (n.EndsWith(".jsonl.gz") || n.EndsWith(".ndjson.gz")) return ("jsonl", true);
        if (n.EndsWith(".json")) return ("json", false);
        if (n.EndsWith(".json.gz")) return ("json", true);
        if (n.EndsWith(".parquet")) return ("parquet", false);
        return null;
    }

    /// <summary>A row reader over <paramref name="raw"/> (which it takes ownership of) and the counted stream under it.
    /// Every reader is bounded by the bytes it has read: a row (line, array element, Parquet row) over
    /// <paramref name="maxLineBytes"/> is counted, never buffered; more than <paramref name="maxBytes"/> after
    /// decompression (gzip, or a Parquet file's pages and dictionaries) stops the file as too large.
    /// <paramref name="columns"/> names the Parquet columns worth reading (the fields the row parser looks at).</summary>
    public static async Task<OpenedFile> OpenAsync(Stream raw, string fileName, long maxBytes, int maxLineBytes, CancellationToken ct,
        IReadOnlyCollection<string>? columns = null)
    {
        var container = Container(fileName) ?? throw new RowReadException(ReasonCodes.UnsupportedContainer,
            $"'{Path.GetFileName(fileName)}' has an unsupported extension (expected one of {string.Join(", ", SupportedExtensions)})");
        Stream decoded = container.Gzip ? new GzipReader(raw) : raw;
        var limited = new LimitedReadStream(decoded, maxBytes);
        IRowReader reader = container.Kind switch
        {
            "jsonl" => new JsonLinesReader(limited, maxLineBytes),
            "json" => new JsonArrayReader(limited, maxLineBytes),
            _ => new ParquetRowReader(await SeekableAsync(limited, ct).ConfigureAwait(false), maxLineBytes, maxBytes, columns),
        };
        return new OpenedFile(reader, limited);
    }

    /// <summary>Parquet needs seeking: a non-seekable stream is spooled to a temporary file that deletes itself.</summary>
    private static async Task<Stream> SeekableAsync(LimitedReadStream limited, CancellationToken ct)
    {
        var temp = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        try
        {
            await limited.CopyToAsync(temp, ct).ConfigureAwait(false);
        }
        catch
        {
            await temp.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        await limited.DisposeAsync().ConfigureAwait(false);
        temp.Position = 0;
        return temp;
    }
}

/// <summary>An open file: the reader of its rows and the stream counting its (decompressed) bytes.</summary>
public sealed class OpenedFile(IRowReader reader, LimitedReadStream counted) : IAsyncDisposable
{
    public IRowReader Reader { get; } = reader;
    public long BytesRead => counted.BytesRead;

    public async ValueTask DisposeAsync()
    {
        if (Reader is IAsyncDisposable d) await d.DisposeAsync().ConfigureAwait(false);
        await counted.DisposeAsync().ConfigureAwait(false);
    }
}
