// Thrift's compact protocol written by hand, so tests can build Parquet footers and page headers that lie.
namespace Pipeline.Testing.Hostile;

internal sealed class ThriftWriter
{
    public const byte True = 1, False = 2, I32Type = 5, I64Type = 6, Binary = 8, List = 9, Struct = 12;

    private readonly MemoryStream _out = new();
    private readonly Stack<short> _lastIds = new();
    private short _lastId;

    public byte[] ToArray() => _out.ToArray();

    public ThriftWriter Field(short id, byte type)
    {
        var delta = id - _lastId;
        if (delta is > 0 and <= 15) _out.WriteByte((byte)((delta << 4) | type));
        else
        {
            _out.WriteByte(type);
            Varint(ZigZag(id));
        }
        _lastId = id;
        return this;
    }

    public ThriftWriter I32(short id, int value) => Field(id, I32Type).Varint(ZigZag(value));
    public ThriftWriter I64(short id, long value) => Field(id, I64Type).Varint(ZigZag(value));
    public ThriftWriter Bool(short id, bool value) => Field(id, value ? True : False);
    public ThriftWriter String(short id, string value) => Field(id, Binary).Bytes(System.Text.Encoding.UTF8.GetBytes(value));

    public ThriftWriter BeginStruct(short id)
    {
        Field(id, Struct);
        return BeginStruct();
    }

    /// <summary>Starts a struct value (a list element, or after <see cref="Field"/>).</summary>
    public ThriftWriter BeginStruct()
    {
        _lastIds.Push(_lastId);
        _lastId = 0;
        return this;
    }

    public ThriftWriter EndStruct()
    {
        _out.WriteByte(0);
        _lastId = _lastIds.Pop();
        return this;
    }

    /// <summary>A list field's header claiming <paramref name="count"/> elements of <paramref name="elementType"/>.</summary>
    public ThriftWriter ListHeader(short id, byte elementType, long count)
    {
        Field(id, List);
        if (count < 15) _out.WriteByte((byte)((count << 4) | elementType));
        else
        {
            _out.WriteByte((byte)(0xF0 | elementType));
            Varint((ulong)count);
        }
        return this;
    }

    public ThriftWriter I32Element(int value) => Varint(ZigZag(value));
    public ThriftWriter StringElement(string value) => Bytes(System.Text.Encoding.UTF8.GetBytes(value));

    private ThriftWriter Bytes(byte[] value)
    {
        Varint((ulong)value.Length);
        _out.Write(value);
        return this;
    }

    private ThriftWriter Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _out.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _out.WriteByte((byte)value);
        return this;
    }

    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));
}
