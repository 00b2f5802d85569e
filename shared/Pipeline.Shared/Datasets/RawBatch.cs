// A batch of raw rows sharing one pooled byte buffer: the unit the reader hands to parallel validation.
using System.Buffers;

namespace Pipeline.Shared.Datasets;

/// <summary>One raw row: its 1-based line (JSONL) or row (JSON array, Parquet) number and where its bytes are.
/// <see cref="OversizeBytes"/> is set (and the bytes dropped) when the row was longer than the line cap.</summary>
public readonly record struct RawRow(long Number, int Offset, int Length, long OversizeBytes);

public sealed class RawBatch(int capacityBytes = 64 * 1024)
{
    // Buffers come from the shared pool: batches are ~1 MB, and fresh ones per batch would land on the large
    // object heap and force full collections.
    public byte[] Buffer = ArrayPool<byte>.Shared.Rent(capacityBytes);
    public int Count;
    public readonly List<RawRow> Rows = new(1024);

    public ReadOnlyMemory<byte> Bytes(RawRow row) => Buffer.AsMemory(row.Offset, row.Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Count + bytes.Length > Buffer.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Count + bytes.Length));
            Buffer.AsSpan(0, Count).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(Buffer);
            Buffer = bigger;
        }
        bytes.CopyTo(Buffer.AsSpan(Count));
        Count += bytes.Length;
    }

    /// <summary>Adds a whole row from bytes.</summary>
    public void Add(long number, ReadOnlySpan<byte> bytes)
    {
        var offset = Count;
        Append(bytes);
        Rows.Add(new RawRow(number, offset, bytes.Length, 0));
    }

    /// <summary>Gives the buffer back to the pool; the batch must not be read afterwards.</summary>
    public void Release()
    {
        ArrayPool<byte>.Shared.Return(Buffer);
        Buffer = [];
        Count = 0;
    }
}
