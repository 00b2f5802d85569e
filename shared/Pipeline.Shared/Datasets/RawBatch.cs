// A batch of raw rows sharing one byte buffer: the unit the reader hands to parallel validation.
namespace Pipeline.Shared.Datasets;

/// <summary>One raw row: its 1-based line (JSONL) or row (JSON array, Parquet) number and where its bytes are.
/// <see cref="OversizeBytes"/> is set (and the bytes dropped) when the row was longer than the line cap.</summary>
public readonly record struct RawRow(long Number, int Offset, int Length, long OversizeBytes);

public sealed class RawBatch
{
    public byte[] Buffer = new byte[64 * 1024];
    public int Count;
    public readonly List<RawRow> Rows = new(1024);

    public ReadOnlyMemory<byte> Bytes(RawRow row) => Buffer.AsMemory(row.Offset, row.Length);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (Count + bytes.Length > Buffer.Length)
            Array.Resize(ref Buffer, Math.Max(Buffer.Length * 2, Count + bytes.Length));
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
}
