// Builds small Parquet files byte by byte: flat string columns, PLAIN or dictionary encoded, v1 or v2 data pages, any
// codec the reader supports, several row groups. Each knob under "lies" makes the footer or a page header claim
// something the bytes do not hold, for the hostile-file corpus.
using System.IO.Compression;
using System.Text;

namespace Pipeline.Testing.Hostile;

public sealed record ParquetColumnSpec(string Name, string?[] Values, bool Optional = true, bool Dictionary = false, bool Text = true);

public sealed class ParquetBuilder
{
    public const int Uncompressed = 0, Snappy = 1, Gzip = 2, Zstd = 6;

    public List<ParquetColumnSpec> Columns { get; } = [];
    public int Codec { get; init; } = Snappy;
    public int RowsPerPage { get; init; } = int.MaxValue;
    public int RowGroups { get; init; } = 1;
    public bool PagesV2 { get; init; }

    // Lies: null tells the truth.
    public long? RowGroupRows { get; init; }
    public long? ChunkValues { get; init; }
    public long? ChunkCompressedBytes { get; init; }
    public long? DataPageOffset { get; init; }
    public int? PageUncompressedBytes { get; init; }
    public int? PageValues { get; init; }
    public int? DictionaryValues { get; init; }
    public long? FooterLength { get; init; }
    public long? SchemaCount { get; init; }
    public long? RowGroupCount { get; init; }
    /// <summary>Rewrites the stored bytes of the first data page (after compression), e.g. to corrupt them.</summary>
    public Func<byte[], byte[]>? FirstPageBytes { get; init; }
    /// <summary>A dictionary bomb: each (required, dictionary) column's one page repeats entry 0 this many times in a
    /// single RLE run of a few bytes, and the footer claims as many rows.</summary>
    public int? DictionaryRun { get; init; }

    public static ParquetBuilder Standard(int rows, int codec = Snappy, bool dictionary = false)
    {
        var b = new ParquetBuilder { Codec = codec };
        b.Columns.Add(new("prompt", [.. Enumerable.Range(0, rows).Select(i => $"Question {i}?")], Dictionary: dictionary));
        b.Columns.Add(new("chosen", [.. Enumerable.Range(0, rows).Select(i => $"Good answer {i}.")], Dictionary: dictionary));
        b.Columns.Add(new("rejected", [.. Enumerable.Range(0, rows).Select(i => $"Bad answer {i}.")], Dictionary: dictionary));
        return b;
    }

    public byte[] Build()
    {
        var file = new MemoryStream();
        file.Write("PAR1"u8);
        var rows = Columns[0].Values.Length;
        var perGroup = (rows + RowGroups - 1) / Math.Max(1, RowGroups);
        var groups = new List<(long Rows, List<Chunk> Chunks)>();
        var firstPage = true;
        for (var g = 0; g < RowGroups; g++)
        {
            var from = Math.Min(rows, g * perGroup);
            var to = Math.Min(rows, from + perGroup);
            var chunks = Columns.Select(c => WriteChunk(file, c, from, to, ref firstPage)).ToList();
            groups.Add((to - from, chunks));
        }
        var footer = Footer(groups, rows);
        file.Write(footer);
        file.Write(BitConverter.GetBytes((uint)(FooterLength ?? footer.Length)));
        file.Write("PAR1"u8);
        return file.ToArray();
    }

    private sealed record Chunk(long Start, long? DictionaryOffset, long DataOffset, long Compressed, long Uncompressed, long Values);

    private Chunk WriteChunk(MemoryStream file, ParquetColumnSpec column, int from, int to, ref bool firstPage)
    {
        var start = file.Position;
        long uncompressedTotal = 0;
        long? dictionaryOffset = null;
        var slice = column.Values[from..to];
        var dictionary = column.Dictionary ? slice.Where(v => v is not null).Distinct().ToList() : null;
        if (dictionary is not null)
        {
            dictionaryOffset = file.Position;
            var plain = Plain(dictionary!);
            var stored = Compress(plain);
            var header = new ThriftWriter().BeginStruct()
                .I32(1, 2).I32(2, plain.Length).I32(3, stored.Length)
                .BeginStruct(7).I32(1, DictionaryValues ?? dictionary.Count).I32(2, 0).EndStruct()
                .EndStruct().ToArray();
            file.Write(header);
            file.Write(stored);
            uncompressedTotal += header.Length + plain.Length;
        }
        var dataOffset = file.Position;
        for (var at = 0; ;)
        {
            var take = Math.Min(RowsPerPage, slice.Length - at);
            var (header, stored, uncompressed) = DataPage(column, slice[at..(at + take)], dictionary, firstPage);
            firstPage = false;
            file.Write(header);
            file.Write(stored);
            uncompressedTotal += header.Length + uncompressed;
            at += take;
            if (at >= slice.Length) break;
        }
        return new Chunk(start, dictionaryOffset, dataOffset, file.Position - start, uncompressedTotal, slice.Length);
    }

    private (byte[] Header, byte[] Stored, int Uncompressed) DataPage(ParquetColumnSpec column, string?[] page, List<string?>? dictionary, bool first)
    {
        var levels = column.Optional ? BitPacked(page.Select(v => v is null ? 0 : 1).ToArray(), 1) : [];
        var present = page.Where(v => v is not null).ToArray();
        byte[] values;
        if (DictionaryRun is { } run && dictionary is not null) values = [1, .. Varint((ulong)run << 1), 0];
        else if (dictionary is null) values = Plain(present!);
        else
        {
            var width = Math.Max(1, 32 - int.LeadingZeroCount(Math.Max(1, dictionary.Count - 1)));
            values = [(byte)width, .. BitPacked(present.Select(v => dictionary.IndexOf(v)).ToArray(), width)];
        }
        var encoding = dictionary is null ? 0 : 8;
        byte[] stored, body;
        int uncompressed;
        var w = new ThriftWriter().BeginStruct();
        if (PagesV2)
        {
            body = values;
            stored = [.. levels, .. Compress(body)];
            uncompressed = levels.Length + body.Length;
        }
        else
        {
            body = column.Optional ? [.. BitConverter.GetBytes(levels.Length), .. levels, .. values] : values;
            stored = Compress(body);
            uncompressed = body.Length;
        }
        if (first && FirstPageBytes is { } rewrite) stored = rewrite(stored);
        var claimedValues = DictionaryRun ?? (first && PageValues is { } v ? v : page.Length);
        w.I32(1, PagesV2 ? 3 : 0).I32(2, first && PageUncompressedBytes is { } u ? u : uncompressed).I32(3, stored.Length);
        if (PagesV2)
            w.BeginStruct(8).I32(1, claimedValues).I32(2, page.Length - present.Length).I32(3, page.Length).I32(4, encoding)
                .I32(5, levels.Length).I32(6, 0).Bool(7, Codec != Uncompressed).EndStruct();
        else
            w.BeginStruct(5).I32(1, claimedValues).I32(2, encoding).I32(3, 3).I32(4, 3).EndStruct();
        return (w.EndStruct().ToArray(), stored, uncompressed);
    }

    private byte[] Footer(List<(long Rows, List<Chunk> Chunks)> groups, long rows)
    {
        var w = new ThriftWriter().BeginStruct().I32(1, 1);
        w.ListHeader(2, ThriftWriter.Struct, SchemaCount ?? Columns.Count + 1);
        w.BeginStruct().String(4, "schema").I32(5, Columns.Count).EndStruct();
        foreach (var c in Columns)
        {
            w.BeginStruct().I32(1, 6).I32(3, c.Optional ? 1 : 0).String(4, c.Name);
            if (c.Text) w.I32(6, 0);
            w.EndStruct();
        }
        w.I64(3, rows);
        w.ListHeader(4, ThriftWriter.Struct, RowGroupCount ?? groups.Count);
        foreach (var (groupRows, chunks) in groups)
        {
            w.BeginStruct().ListHeader(1, ThriftWriter.Struct, chunks.Count);
            for (var i = 0; i < chunks.Count; i++)
            {
                var k = chunks[i];
                w.BeginStruct().I64(2, k.Start).BeginStruct(3)
                    .I32(1, 6)
                    .ListHeader(2, ThriftWriter.I32Type, 2).I32Element(0).I32Element(3)
                    .ListHeader(3, ThriftWriter.Binary, 1).StringElement(Columns[i].Name)
                    .I32(4, Codec).I64(5, ChunkValues ?? DictionaryRun ?? k.Values).I64(6, k.Uncompressed).I64(7, ChunkCompressedBytes ?? k.Compressed)
                    .I64(9, DataPageOffset ?? k.DataOffset);
                if (k.DictionaryOffset is { } d) w.I64(11, d);
                w.EndStruct().EndStruct();
            }
            w.I64(2, chunks.Sum(k => k.Uncompressed)).I64(3, RowGroupRows ?? DictionaryRun ?? groupRows).EndStruct();
        }
        w.String(6, "Pipeline.Testing ParquetBuilder");
        return w.EndStruct().ToArray();
    }

    private static byte[] Plain(IEnumerable<string?> values)
    {
        var ms = new MemoryStream();
        foreach (var v in values)
        {
            var bytes = Encoding.UTF8.GetBytes(v!);
            ms.Write(BitConverter.GetBytes(bytes.Length));
            ms.Write(bytes);
        }
        return ms.ToArray();
    }

    private static byte[] Varint(ulong value)
    {
        var ms = new MemoryStream();
        while (value >= 0x80)
        {
            ms.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        ms.WriteByte((byte)value);
        return ms.ToArray();
    }

    /// <summary>The RLE / bit-packing hybrid as one bit-packed run (groups of eight values, little-endian bits).</summary>
    private static byte[] BitPacked(int[] values, int width)
    {
        var groups = (values.Length + 7) / 8;
        var ms = new MemoryStream();
        ms.Write(Varint((ulong)((groups << 1) | 1)));
        var packed = new byte[groups * width];
        for (var i = 0; i < values.Length; i++)
            for (var bit = 0; bit < width; bit++)
                if ((values[i] >> bit & 1) != 0) packed[(i * width + bit) / 8] |= (byte)(1 << ((i * width + bit) % 8));
        ms.Write(packed);
        return ms.ToArray();
    }

    private byte[] Compress(byte[] data) => Codec switch
    {
        Uncompressed => data,
        Snappy => Snappier.Snappy.CompressToArray(data),
        Gzip => GzipBytes(data),
        Zstd => new ZstdSharp.Compressor().Wrap(data).ToArray(),
        _ => throw new ArgumentException($"codec {Codec}"),
    };

    private static byte[] GzipBytes(byte[] data)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Optimal, leaveOpen: true)) gz.Write(data);
        return ms.ToArray();
    }
}
