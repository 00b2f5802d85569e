// Parquet's RLE / bit-packing hybrid (definition levels, dictionary indices), decoded one value at a time: a run's
// claimed length costs nothing until its values are taken, and bit-packed runs read only bytes that are there.
namespace Pipeline.Shared.Datasets.ParquetFormat;

internal sealed class RleBitPackedDecoder
{
    private readonly byte[] _buffer;
    private readonly int _end;
    private readonly int _bitWidth;
    private int _position;
    private long _runLeft;
    private bool _repeated;
    private int _repeatedValue;
    private long _bitPosition;

    /// <summary>Decodes bytes [<paramref name="start"/>, <paramref name="end"/>) of <paramref name="buffer"/>.</summary>
    public RleBitPackedDecoder(byte[] buffer, int start, int end, int bitWidth)
    {
        if (bitWidth is < 0 or > 32) throw new ParquetFormatException($"RLE bit width {bitWidth} is not between 0 and 32");
        (_buffer, _position, _end, _bitWidth) = (buffer, start, end, bitWidth);
    }

    /// <summary>The next value, or false when the encoded data has ended.</summary>
    public bool TryNext(out int value)
    {
        while (_runLeft == 0)
        {
            if (_position >= _end)
            {
                value = 0;
                return false;
            }
            ReadRunHeader();
        }
        _runLeft--;
        if (_repeated)
        {
            value = _repeatedValue;
            return true;
        }
        value = ReadBits();
        return true;
    }

    private void ReadRunHeader()
    {
        ulong header = 0;
        for (var shift = 0; ; shift += 7)
        {
            if (_position >= _end || shift > 35) throw new ParquetFormatException("an RLE run header is truncated or too long");
            var b = _buffer[_position++];
            header |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        if ((header & 1) == 0)
        {
            // A repeated run: one value in ceil(bitWidth / 8) little-endian bytes.
            var bytes = (_bitWidth + 7) / 8;
            if (bytes > _end - _position) throw new ParquetFormatException("an RLE run's value is truncated");
            var v = 0L;
            for (var i = 0; i < bytes; i++) v |= (long)_buffer[_position + i] << (8 * i);
            _position += bytes;
            if (v > int.MaxValue) throw new ParquetFormatException($"an RLE run's value {v} is out of range");
            (_repeated, _repeatedValue, _runLeft) = (true, (int)v, (long)(header >> 1));
        }
        else
        {
            // Bit-packed groups of eight values; a last group cut short keeps the values whose bits are present.
            var groups = (long)(header >> 1);
            var bytes = groups * _bitWidth;
            var available = _end - _position;
            var values = groups * 8;
            if (bytes > available) values = _bitWidth == 0 ? values : available * 8L / _bitWidth;
            _bitPosition = _position * 8L;
            _position += (int)Math.Min(bytes, available);
            (_repeated, _runLeft) = (false, values);
        }
    }

    private int ReadBits()
    {
        if (_bitWidth == 0) return 0;
        var at = (int)(_bitPosition >> 3);
        var shift = (int)(_bitPosition & 7);
        ulong word = 0;
        for (var i = 0; i < 5 && at + i < _end; i++) word |= (ulong)_buffer[at + i] << (8 * i);
        _bitPosition += _bitWidth;
        return (int)((word >> shift) & ((1UL << _bitWidth) - 1));
    }
}
