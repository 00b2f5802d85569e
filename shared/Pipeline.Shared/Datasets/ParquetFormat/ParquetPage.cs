// Parquet page headers (PageHeader in parquet.thrift) and page decompression into a buffer of exactly the size the
// header claims: a codec that would write more, or less, makes the page corrupt; it never grows a buffer.
using System.IO.Compression;
using K4os.Compression.LZ4;
using Snappier;
using ZstdSharp;

namespace Pipeline.Shared.Datasets.ParquetFormat;

internal static class PageType
{
    public const int Data = 0, Index = 1, Dictionary = 2, DataV2 = 3;
}

internal static class ParquetEncoding
{
    public const int Plain = 0, PlainDictionary = 2, Rle = 3, BitPacked = 4, RleDictionary = 8;

    private static readonly string[] Names =
        ["PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED", "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY",
         "DELTA_BYTE_ARRAY", "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"];

    public static string Name(int encoding) => encoding >= 0 && encoding < Names.Length ? Names[encoding] : $"encoding {encoding}";
}

/// <summary>A page header; for data pages v2, the level bytes at the page's start are never compressed.</summary>
internal readonly record struct PageHeader(
    int Type, int UncompressedBytes, int CompressedBytes, int Values, int Encoding, int DefinitionEncoding,
    int RepetitionLevelBytes, int DefinitionLevelBytes, bool IsCompressed)
{
    /// <summary>PageHeader {1: type, 2: uncompressed_page_size, 3: compressed_page_size, 5: data_page_header,
    /// 7: dictionary_page_header, 8: data_page_header_v2}.</summary>
    public static PageHeader Read(ref ThriftReader reader)
    {
        int? type = null, uncompressed = null, compressed = null;
        int values = 0, encoding = 0, definitionEncoding = ParquetEncoding.Rle, repetitionBytes = 0, definitionBytes = 0;
        var isCompressed = true;
        short last = 0;
        while (reader.NextField(ref last, out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == ThriftType.I32: type = reader.ReadI32(); break;
                case 2 when t == ThriftType.I32: uncompressed = reader.ReadI32(); break;
                case 3 when t == ThriftType.I32: compressed = reader.ReadI32(); break;
                case 5 or 7 when t == ThriftType.Struct:
                {
                    // DataPageHeader {1: num_values, 2: encoding, 3: definition_level_encoding}; DictionaryPageHeader {1, 2}.
                    short inner = 0;
                    while (reader.NextField(ref inner, out var f, out var ft))
                    {
                        if (f == 1 && ft == ThriftType.I32) values = reader.ReadI32();
                        else if (f == 2 && ft == ThriftType.I32) encoding = reader.ReadI32();
                        else if (f == 3 && ft == ThriftType.I32 && id == 5) definitionEncoding = reader.ReadI32();
                        else reader.Skip(ft, 1);
                    }
                    break;
                }
                case 8 when t == ThriftType.Struct:
                {
                    // DataPageHeaderV2 {1: num_values, 4: encoding, 5: definition_levels_byte_length,
                    // 6: repetition_levels_byte_length, 7: is_compressed}.
                    short inner = 0;
                    while (reader.NextField(ref inner, out var f, out var ft))
                    {
                        if (f == 1 && ft == ThriftType.I32) values = reader.ReadI32();
                        else if (f == 4 && ft == ThriftType.I32) encoding = reader.ReadI32();
                        else if (f == 5 && ft == ThriftType.I32) definitionBytes = reader.ReadI32();
                        else if (f == 6 && ft == ThriftType.I32) repetitionBytes = reader.ReadI32();
                        else if (f == 7 && ft is ThriftType.True or ThriftType.False) isCompressed = ft == ThriftType.True;
                        else reader.Skip(ft, 1);
                    }
                    break;
                }
                default: reader.Skip(t, 1); break;
            }
        }
        if (type is null || uncompressed is null || compressed is null) throw new ParquetFormatException("a page header lacks its type or sizes");
        if (uncompressed < 0 || compressed < 0 || values < 0 || definitionBytes < 0 || repetitionBytes < 0)
            throw new ParquetFormatException($"a page header claims negative sizes or counts ({uncompressed}, {compressed}, {values})");
        return new PageHeader(type.Value, uncompressed.Value, compressed.Value, values, encoding, definitionEncoding,
            repetitionBytes, definitionBytes, isCompressed);
    }
}

internal static class PageCodec
{
    public const int Uncompressed = 0, Snappy = 1, Gzip = 2, Lzo = 3, Brotli = 4, Lz4Hadoop = 5, Zstd = 6, Lz4Raw = 7;

    private static readonly string[] Names = ["UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI", "LZ4", "ZSTD", "LZ4_RAW"];

    public static string Name(int codec) => codec >= 0 && codec < Names.Length ? Names[codec] : $"codec {codec}";

    public static bool IsSupported(int codec) => codec is Uncompressed or Snappy or Gzip or Brotli or Zstd or Lz4Raw;

    /// <summary>Decompresses <paramref name="source"/> into all of <paramref name="target"/> (the size the header
    /// claims); throws <see cref="ParquetFormatException"/> when the data is corrupt or decodes to another size.</summary>
    public static void Decompress(int codec, byte[] source, int offset, int sourceLength, Span<byte> target, string what)
    {
        int written;
        var expected = target.Length;
        try
        {
            var input = source.AsSpan(offset, sourceLength);
            switch (codec)
            {
                case Uncompressed:
                    if (sourceLength != target.Length) throw Mismatch(sourceLength);
                    input.CopyTo(target);
                    return;
                case Snappy:
                    var claimed = Snappier.Snappy.GetUncompressedLength(input);
                    if (claimed != target.Length) throw Mismatch(claimed);
                    written = Snappier.Snappy.Decompress(input, target);
                    break;
                case Gzip:
                {
                    using var gzip = new GZipStream(new MemoryStream(source, offset, sourceLength, writable: false), CompressionMode.Decompress);
                    written = gzip.ReadAtLeast(target, target.Length, throwOnEndOfStream: false);
                    if (written == target.Length && gzip.ReadByte() >= 0) throw Mismatch(-1);
                    break;
                }
                case Brotli:
                    if (!BrotliDecoder.TryDecompress(input, target, out written)) throw Mismatch(-1);
                    break;
                case Zstd:
                {
                    using var zstd = new Decompressor();
                    if (!zstd.TryUnwrap(input, target, out written)) throw Mismatch(-1);
                    break;
                }
                case Lz4Raw:
                    written = LZ4Codec.Decode(input, target);
                    break;
                default:
                    throw new ParquetFormatException($"{what} is compressed with {Name(codec)}, which this reader does not support " +
                                                     "(UNCOMPRESSED, SNAPPY, GZIP, BROTLI, ZSTD and LZ4_RAW are)");
            }
        }
        catch (ParquetFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Codecs report corrupt input with their own exception types; any of them means the same here.
            throw new ParquetFormatException($"{what} cannot be decompressed ({Name(codec)}): {e.GetType().Name}", e);
        }
        if (written != target.Length) throw Mismatch(written);

        ParquetFormatException Mismatch(long actual) => Mismatched(codec, actual, expected, what);
    }

    private static ParquetFormatException Mismatched(int codec, long actual, int expected, string what) => new(actual < 0
            ? $"{what} decompresses ({Name(codec)}) to more than the {expected} bytes its header claims, or is corrupt"
            : $"{what} decompresses ({Name(codec)}) to {actual} bytes, not the {expected} its header claims");
}
