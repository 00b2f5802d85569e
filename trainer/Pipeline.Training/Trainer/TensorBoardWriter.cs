// Writes TensorBoard scalars (events.out.tfevents.*) without TensorFlow: each record is uint64 length, masked CRC32C of
// the length, an Event protobuf (wall_time=1 double, step=2 int64, file_version=3 / summary=5), masked CRC32C of it.
using System.Buffers.Binary;
using System.Text;

namespace Pipeline.Training.Trainer;

public sealed class TensorBoardWriter : IDisposable
{
    private static int _opened;
    private readonly FileStream _file;

    public string Path { get; }

    public TensorBoardWriter(string directory)
    {
        Directory.CreateDirectory(directory);
        var stamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        Path = System.IO.Path.Combine(directory, $"events.out.tfevents.{stamp}.{Environment.MachineName}.{Environment.ProcessId}.{Interlocked.Increment(ref _opened)}");
        _file = new FileStream(Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read);
        var header = new List<byte>();
        Double(header, 1, Now());
        Bytes(header, 3, Encoding.UTF8.GetBytes("brain.Event:2"));
        Record([.. header]);
    }

    public void Scalars(long step, IEnumerable<KeyValuePair<string, double>> values)
    {
        var summary = new List<byte>();
        foreach (var (tag, value) in values)
        {
            var v = new List<byte>();
            Bytes(v, 1, Encoding.UTF8.GetBytes(tag));
            v.Add(2 << 3 | 5); // simple_value: float, fixed32
            v.AddRange(BitConverter.GetBytes((float)value)); // little-endian on every platform .NET runs on here
            Bytes(summary, 1, [.. v]);
        }
        var e = new List<byte>();
        Double(e, 1, Now());
        Varint(e, 2 << 3 | 0);
        Varint(e, (ulong)step);
        Bytes(e, 5, [.. summary]);
        Record([.. e]);
    }

    public void Dispose() => _file.Dispose();

    private void Record(byte[] data)
    {
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)data.Length);
        Span<byte> crc = stackalloc byte[4];
        _file.Write(len);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(len));
        _file.Write(crc);
        _file.Write(data);
        BinaryPrimitives.WriteUInt32LittleEndian(crc, Crc32C.Masked(data));
        _file.Write(crc);
        _file.Flush();
    }

    private static double Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;

    private static void Double(List<byte> o, int field, double value)
    {
        Varint(o, (ulong)(field << 3 | 1));
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleLittleEndian(b, value);
        o.AddRange(b.ToArray());
    }

    private static void Bytes(List<byte> o, int field, byte[] value)
    {
        Varint(o, (ulong)(field << 3 | 2));
        Varint(o, (ulong)value.Length);
        o.AddRange(value);
    }

    private static void Varint(List<byte> o, ulong v)
    {
        for (; v >= 0x80; v >>= 7) o.Add((byte)(v | 0x80));
        o.Add((byte)v);
    }
}

/// <summary>CRC-32C (Castagnoli), and TFRecord's masking of it.</summary>
public static class Crc32C
{
    private static readonly uint[] Table = Enumerable.Range(0, 256).Select(i =>
    {
        var c = (uint)i;
        for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0x82F63B78u ^ (c >> 1) : c >> 1;
        return c;
    }).ToArray();

    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data) crc = Table[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    public static uint Masked(ReadOnlySpan<byte> data)
    {
        var crc = Compute(data);
        return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
    }
}
