// Read-only wrapper that stops a stream once more than a byte limit has come through (gzip bombs, huge uploads).
namespace Pipeline.Shared.Datasets;

public sealed class DataLimitExceededException(long limitBytes)
    : IOException($"more than {limitBytes} bytes (after decompression); the file is over its size limit")
{
    public long LimitBytes { get; } = limitBytes;
}

public sealed class LimitedReadStream(Stream inner, long limitBytes) : ReadOnlyStream
{
    private long _read;

    public long BytesRead => _read;

    public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Count(int n)
    {
        _read += n;
        if (_read > limitBytes) throw new DataLimitExceededException(limitBytes);
        return n;
    }

    public override long Position { get => _read; set => throw new NotSupportedException(); }

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
