// Thrift's compact protocol (the encoding of Parquet footers and page headers) read from bytes in memory. Every length
// and element count is checked against the bytes that remain before anything is sliced, and nesting is capped, so a
// lying count fails here instead of allocating (spec: thrift/doc/specs/thrift-compact-protocol.md).
namespace Pipeline.Shared.Datasets.ParquetFormat;

/// <summary>Compact-protocol type ids.</summary>
internal static class ThriftType
{
    public const byte Stop = 0, True = 1, False = 2, Byte = 3, I16 = 4, I32 = 5, I64 = 6, Double = 7, Binary = 8,
        List = 9, Set = 10, Map = 11, Struct = 12, Uuid = 13;
}

internal ref struct ThriftReader(ReadOnlySpan<byte> data, int position = 0)
{
    private const int MaxDepth = 32;
    private readonly ReadOnlySpan<byte> _data = data;

    public int Position { get; private set; } = position;
    private readonly int Remaining => _data.Length - Position;

    public byte ReadByte()
    {
        if (Position >= _data.Length) throw new ThriftTruncatedException("Thrift data ends inside a structure");
        return _data[Position++];
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = ReadByte();
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return result;
        }
        throw new ParquetFormatException("a Thrift varint is longer than 10 bytes");
    }

    public long ReadI64()
    {
        var n = ReadVarint();
        return (long)(n >> 1) ^ -(long)(n & 1);
    }

    public int ReadI32()
    {
        var v = ReadI64();
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw new ParquetFormatException($"Thrift i32 value {v} is out of range");
    }

    public ReadOnlySpan<byte> ReadBinary()
    {
        var length = ReadVarint();
        if (length > (ulong)Remaining) throw new ThriftTruncatedException($"a Thrift string claims {length} bytes but {Remaining} remain");
        var slice = _data.Slice(Position, (int)length);
        Position += (int)length;
        return slice;
    }

    /// <summary>The next field of the struct being read, or false at its end. <paramref name="lastId"/> is the struct's own.</summary>
    public bool NextField(ref short lastId, out short id, out byte type)
    {
        var header = ReadByte();
        type = (byte)(header & 0x0F);
        if (type == ThriftType.Stop)
        {
            id = 0;
            return false;
        }
        var delta = header >> 4;
        if (delta == 0)
        {
            var full = ReadI64();
            if (full is < short.MinValue or > short.MaxValue) throw new ParquetFormatException($"Thrift field id {full} is out of range");
            id = (short)full;
        }
        else
        {
            id = (short)(lastId + delta);
        }
        lastId = id;
        return true;
    }

    /// <summary>A list's element count (checked against the bytes left: every element takes at least one) and type.</summary>
    public int ReadListHeader(out byte elementType)
    {
        var b = ReadByte();
        ulong size = (ulong)(b >> 4);
        if (size == 15) size = ReadVarint();
        elementType = (byte)(b & 0x0F);
        if (size > (ulong)Remaining) throw new ThriftTruncatedException($"a Thrift list claims {size} elements but {Remaining} bytes remain");
        return (int)size;
    }

    /// <summary>Skips a value of <paramref name="type"/> (a field's value, or a list element when <paramref name="inList"/>).</summary>
    public void Skip(byte type, int depth = 0, bool inList = false)
    {
        if (depth > MaxDepth) throw new ParquetFormatException($"Thrift structures are nested more than {MaxDepth} deep");
        switch (type)
        {
            case ThriftType.True or ThriftType.False:
                if (inList) ReadByte(); // a bool inside a list is one byte; as a field it lives in the field header
                break;
            case ThriftType.Byte:
                ReadByte();
                break;
            case ThriftType.I16 or ThriftType.I32 or ThriftType.I64:
                ReadVarint();
                break;
            case ThriftType.Double:
                Advance(8);
                break;
            case ThriftType.Uuid:
                Advance(16);
                break;
            case ThriftType.Binary:
                ReadBinary();
                break;
            case ThriftType.List or ThriftType.Set:
            {
                var count = ReadListHeader(out var element);
                for (var i = 0; i < count; i++) Skip(element, depth + 1, inList: true);
                break;
            }
            case ThriftType.Map:
            {
                var count = ReadVarint();
                if (count == 0) break;
                var kinds = ReadByte();
                if (count > (ulong)Remaining) throw new ThriftTruncatedException($"a Thrift map claims {count} entries but {Remaining} bytes remain");
                for (var i = 0UL; i < count; i++)
                {
                    Skip((byte)(kinds >> 4), depth + 1, inList: true);
                    Skip((byte)(kinds & 0x0F), depth + 1, inList: true);
                }
                break;
            }
            case ThriftType.Struct:
            {
                short last = 0;
                while (NextField(ref last, out _, out var fieldType)) Skip(fieldType, depth + 1);
                break;
            }
            default:
                throw new ParquetFormatException($"unknown Thrift type {type}");
        }
    }

    private void Advance(int bytes)
    {
        if (bytes > Remaining) throw new ThriftTruncatedException("Thrift data ends inside a value");
        Position += bytes;
    }
}
