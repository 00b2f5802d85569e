// TensorBoard event files: CRC-32C against its check value, and records that parse back (length, masked CRCs, scalar).
using System.Buffers.Binary;
using System.Text;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Trainer;

public sealed class TensorBoardWriterTests
{
    [Fact]
    public void Crc32c_gives_the_standard_check_value()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Writes_records_with_valid_checksums_holding_the_scalar()
    {
        string path;
        using var scratch = new TempDir();
        using (var writer = new TensorBoardWriter(scratch.Path))
        {
            writer.Scalars(7, [new("train/loss", 1.5)]);
            path = writer.Path;
        }
        var bytes = File.ReadAllBytes(path);
        var records = new List<byte[]>();
        for (var at = 0; at < bytes.Length;)
        {
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            Assert.Equal(Crc32C.Masked(bytes.AsSpan(at, 8)), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)));
            var data = bytes.AsSpan(at + 12, length);
            Assert.Equal(Crc32C.Masked(data), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 12 + length)));
            records.Add(data.ToArray());
            at += 16 + length;
        }
        Assert.Equal(2, records.Count);
        Assert.Contains("brain.Event:2", Encoding.UTF8.GetString(records[0]));
        var scalar = records[1];
        Assert.Contains("train/loss", Encoding.UTF8.GetString(scalar));
        Assert.Equal([0x10, 7], scalar.AsSpan(9, 2).ToArray()); // step = 7 right after wall_time
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(scalar.AsSpan(scalar.Length - 4)));
    }
}
