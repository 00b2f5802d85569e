// Reads one text column chunk page by page: a dictionary page (if any), then data pages (v1 or v2; PLAIN or dictionary
// encoded; optional values by RLE definition levels). Only the current page and the dictionary are held, both counted
// against the reader's page budget; a value is a slice of them, valid until the next page is loaded.
using System.Buffers;
using System.Buffers.Binary;

namespace Pipeline.Shared.Datasets.ParquetFormat;

internal sealed class ColumnCursor : IDisposable
{
    private readonly Stream _file;
    private readonly ChunkInfo _chunk;
    private readonly PageBudget _budget;
    private readonly ParquetLimits _limits;
    private readonly string _where;
    private long _position;
    private int _page;

    private byte[]? _dictionary;
    private int _dictionaryBytes;
    private int[] _dictionaryOffsets = [];
    private int[] _dictionaryLengths = [];
    private int _dictionaryCount;

    private byte[]? _data;
    private int _dataBytes;
    private int _valuesLeft;
    private RleBitPackedDecoder? _definitions;
    private RleBitPackedDecoder? _indices;
    private int _plainPosition;
    private int _plainEnd;

    public ColumnCursor(Stream file, ChunkInfo chunk, int rowGroup, PageBudget budget, ParquetLimits limits)
    {
        (_file, _chunk, _budget, _limits) = (file, chunk, budget, limits);
        _where = $"column '{chunk.Column.Name}' of row group {rowGroup}";
        _position = chunk.Start;
        if (!PageCodec.IsSupported(chunk.Codec))
            throw new ParquetFormatException($"{_where} is compressed with {PageCodec.Name(chunk.Codec)}, which this reader does not support " +
                                             "(UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD and LZ4_RAW are)");
    }

    private long End => _chunk.Start + _chunk.Length;

    public string Name => _chunk.Column.Name;

    /// <summary>True when the current page has a value left to take.</summary>
    public bool HasValue => _valuesLeft > 0;

    /// <summary>Loads the next data page (reading a dictionary page on the way); false when the chunk has no more pages.</summary>
    public async ValueTask<bool> NextPageAsync(CancellationToken ct)
    {
        ReleaseData();
        while (_position < End)
        {
            var (header, headerBytes) = await ReadHeaderAsync(ct).ConfigureAwait(false);
            _position += headerBytes;
            var page = $"page {_page++} of {_where}";
            if (header.CompressedBytes > End - _position)
                throw new ParquetFormatException($"{page} claims {header.CompressedBytes} bytes but its chunk has {End - _position} left");
            var at = _position;
            _position += header.CompressedBytes;
            switch (header.Type)
            {
                case PageType.Dictionary:
                    if (_dictionary is not null || _page > 1) throw new ParquetFormatException($"{page} is a dictionary page after the chunk's first page");
                    await LoadDictionaryAsync(header, at, page, ct).ConfigureAwait(false);
                    break;
                case PageType.Data or PageType.DataV2:
                    await LoadDataAsync(header, at, page, ct).ConfigureAwait(false);
                    if (_valuesLeft > 0) return true;
                    ReleaseData();
                    break;
                default:
                    break; // index pages carry nothing a reader needs
            }
        }
        return false;
    }

    /// <summary>The next value (UTF-8 bytes), or null for a missing one; call only when <see cref="HasValue"/>.</summary>
    public ReadOnlySpan<byte> Take(out bool isNull)
    {
        _valuesLeft--;
        if (_definitions is not null)
        {
            if (!_definitions.TryNext(out var level)) throw new ParquetFormatException($"the definition levels of {_where} end before its values");
            if (level is not (0 or 1)) throw new ParquetFormatException($"{_where} has definition level {level}, not 0 or 1");
            if (level == 0)
            {
                isNull = true;
                return default;
            }
        }
        isNull = false;
        if (_indices is not null)
        {
            if (!_indices.TryNext(out var index)) throw new ParquetFormatException($"the dictionary indices of {_where} end before its values");
            if (index < 0 || index >= _dictionaryCount)
                throw new ParquetFormatException($"{_where} refers to dictionary entry {index} of {_dictionaryCount}");
            return _dictionary.AsSpan(_dictionaryOffsets[index], _dictionaryLengths[index]);
        }
        return Plain(_data!, ref _plainPosition, _plainEnd, _where);
    }

    private static ReadOnlySpan<byte> Plain(byte[] buffer, ref int position, int end, string where)
    {
        if (end - position < 4) throw new ParquetFormatException($"the values of {where} end before the count its page claims");
        var length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(position));
        position += 4;
        if (length < 0 || length > end - position)
            throw new ParquetFormatException($"a value of {where} claims {length} bytes but its page has {end - position} left");
        var value = buffer.AsSpan(position, length);
        position += length;
        return value;
    }

    /// <summary>Reads the page header at the current position: a small window first, grown while the header runs past it.</summary>
    private async ValueTask<(PageHeader, int)> ReadHeaderAsync(CancellationToken ct)
    {
        var left = End - _position;
        var window = (int)Math.Min(left, 16 << 10);
        while (true)
        {
            var buffer = ArrayPool<byte>.Shared.Rent(window);
            try
            {
                await ReadAtAsync(_position, buffer.AsMemory(0, window), ct).ConfigureAwait(false);
                try
                {
                    var reader = new ThriftReader(buffer.AsSpan(0, window));
                    var header = PageHeader.Read(ref reader);
                    return (header, reader.Position);
                }
                catch (ThriftTruncatedException) when (window < left && window < _limits.MaxPageHeaderBytes)
                {
                    window = (int)Math.Min(Math.Min(left, (long)window * 4), _limits.MaxPageHeaderBytes);
                }
                catch (ThriftTruncatedException e)
                {
                    throw new ParquetFormatException($"the header of page {_page} of {_where} is truncated or longer than " +
                                                     $"{_limits.MaxPageHeaderBytes} bytes ({e.Message})");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async ValueTask LoadDictionaryAsync(PageHeader header, long at, string page, CancellationToken ct)
    {
        if (header.Encoding is not (ParquetEncoding.Plain or ParquetEncoding.PlainDictionary))
            throw new ParquetFormatException($"{page} is a dictionary in {ParquetEncoding.Name(header.Encoding)}, not PLAIN");
        // Each PLAIN entry takes at least its 4-byte length: a count the bytes cannot hold is a lie.
        if (header.Values > header.UncompressedBytes / 4)
            throw new ParquetFormatException($"{page} claims {header.Values} dictionary entries in {header.UncompressedBytes} bytes");
        _dictionaryBytes = header.UncompressedBytes;
        _dictionary = await LoadAsync(header, at, 0, page, ct).ConfigureAwait(false);
        _budget.Reserve(8L * header.Values, $"the entries of {page}");
        _dictionaryCount = header.Values;
        _dictionaryOffsets = ArrayPool<int>.Shared.Rent(header.Values);
        _dictionaryLengths = ArrayPool<int>.Shared.Rent(header.Values);
        var position = 0;
        for (var i = 0; i < header.Values; i++)
        {
            var value = Plain(_dictionary, ref position, _dictionaryBytes, page);
            _dictionaryOffsets[i] = position - value.Length;
            _dictionaryLengths[i] = value.Length;
        }
    }

    private async ValueTask LoadDataAsync(PageHeader header, long at, string page, CancellationToken ct)
    {
        var levels = 0;
        if (header.Type == PageType.DataV2)
        {
            levels = header.RepetitionLevelBytes + header.DefinitionLevelBytes;
            if (levels > header.CompressedBytes || levels > header.UncompressedBytes)
                throw new ParquetFormatException($"{page} claims {levels} bytes of levels in a page of {header.CompressedBytes}");
            if (header.RepetitionLevelBytes > 0) throw new ParquetFormatException($"{page} has repetition levels, but its column is not repeated");
        }
        _data = await LoadAsync(header, at, levels, page, ct).ConfigureAwait(false);
        _dataBytes = header.UncompressedBytes;
        var position = 0;
        if (_chunk.Column.IsOptional)
        {
            int start, end;
            if (header.Type == PageType.DataV2)
            {
                (start, end) = (header.RepetitionLevelBytes, levels);
            }
            else
            {
                if (header.DefinitionEncoding != ParquetEncoding.Rle)
                    throw new ParquetFormatException($"{page} has definition levels in {ParquetEncoding.Name(header.DefinitionEncoding)}, which this reader does not support (RLE is)");
                if (_dataBytes < 4) throw new ParquetFormatException($"{page} is too short for its definition levels");
                var length = BinaryPrimitives.ReadInt32LittleEndian(_data);
                if (length < 0 || length > _dataBytes - 4) throw new ParquetFormatException($"{page} claims {length} bytes of definition levels in {_dataBytes - 4}");
                (start, end) = (4, 4 + length);
            }
            _definitions = new RleBitPackedDecoder(_data, start, end, bitWidth: 1);
            position = end;
        }
        else
        {
            position = levels;
        }
        switch (header.Encoding)
        {
            case ParquetEncoding.Plain:
                (_plainPosition, _plainEnd) = (position, _dataBytes);
                break;
            case ParquetEncoding.PlainDictionary or ParquetEncoding.RleDictionary:
                if (_dictionary is null) throw new ParquetFormatException($"{page} is dictionary-encoded but its chunk has no dictionary page");
                if (position >= _dataBytes)
                {
                    if (header.Values > 0 && _definitions is null) throw new ParquetFormatException($"{page} has no dictionary indices");
                    _indices = new RleBitPackedDecoder(_data, position, position, 0);
                    break;
                }
                _indices = new RleBitPackedDecoder(_data, position + 1, _dataBytes, _data[position]);
                break;
            default:
                throw new ParquetFormatException($"{page} uses the {ParquetEncoding.Name(header.Encoding)} encoding, which this reader does not " +
                                                 "support for text (PLAIN and dictionary encodings are)");
        }
        _valuesLeft = header.Values;
    }

    /// <summary>Reads a page's bytes at <paramref name="at"/> and decompresses them into a buffer of the claimed size;
    /// the first <paramref name="rawPrefix"/> bytes (v2 levels) are stored as they are.</summary>
    private async ValueTask<byte[]> LoadAsync(PageHeader header, long at, int rawPrefix, string page, CancellationToken ct)
    {
        _budget.Reserve(header.UncompressedBytes, page);
        var target = ArrayPool<byte>.Shared.Rent(Math.Max(1, header.UncompressedBytes));
        try
        {
            var compressed = header.Type != PageType.DataV2 || header.IsCompressed;
            if (_chunk.Codec == PageCodec.Uncompressed || !compressed)
            {
                if (header.CompressedBytes != header.UncompressedBytes)
                    throw new ParquetFormatException($"{page} is stored uncompressed in {header.CompressedBytes} bytes but claims {header.UncompressedBytes}");
                await ReadAtAsync(at, target.AsMemory(0, header.UncompressedBytes), ct).ConfigureAwait(false);
                return target;
            }
            _budget.Reserve(header.CompressedBytes, page);
            var source = ArrayPool<byte>.Shared.Rent(Math.Max(1, header.CompressedBytes));
            try
            {
                await ReadAtAsync(at, source.AsMemory(0, header.CompressedBytes), ct).ConfigureAwait(false);
                source.AsSpan(0, rawPrefix).CopyTo(target);
                PageCodec.Decompress(_chunk.Codec, source, rawPrefix, header.CompressedBytes - rawPrefix,
                    target.AsSpan(rawPrefix, header.UncompressedBytes - rawPrefix), page);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(source);
                _budget.Release(header.CompressedBytes);
            }
            return target;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(target);
            _budget.Release(header.UncompressedBytes);
            throw;
        }
    }

    private async ValueTask ReadAtAsync(long position, Memory<byte> buffer, CancellationToken ct)
    {
        _file.Position = position;
        try
        {
            await _file.ReadExactlyAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (EndOfStreamException)
        {
            throw new ParquetFormatException($"{_where} ends before the bytes its metadata claims (the file is truncated)");
        }
    }

    private void ReleaseData()
    {
        if (_data is null) return;
        ArrayPool<byte>.Shared.Return(_data);
        _budget.Release(_dataBytes);
        (_data, _definitions, _indices, _valuesLeft) = (null, null, null, 0);
    }

    public void Dispose()
    {
        ReleaseData();
        if (_dictionary is null) return;
        ArrayPool<byte>.Shared.Return(_dictionary);
        if (_dictionaryOffsets.Length > 0) ArrayPool<int>.Shared.Return(_dictionaryOffsets);
        if (_dictionaryLengths.Length > 0) ArrayPool<int>.Shared.Return(_dictionaryLengths);
        _budget.Release(_dictionaryBytes + 8L * _dictionaryCount);
        (_dictionary, _dictionaryOffsets, _dictionaryLengths) = (null, [], []);
    }
}
