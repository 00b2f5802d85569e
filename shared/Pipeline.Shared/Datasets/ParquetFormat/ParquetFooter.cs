// The parts of a Parquet footer (FileMetaData, parquet.thrift) this reader needs: the schema's top-level columns and,
// one row group at a time, where the chosen columns' chunks lie. Row groups are parsed when reached, not all at once,
// and only the chosen columns' chunk metadata is kept, so memory follows the footer's bytes, never its counts.
using System.Text;

namespace Pipeline.Shared.Datasets.ParquetFormat;

/// <summary>A top-level leaf column: its position among all leaves (= its chunk's index in a row group).</summary>
public sealed record ParquetColumn(string Name, int LeafIndex, string Type, bool IsText, bool IsOptional, bool IsRepeated);

/// <summary>Where a column chunk's pages are: [Start, Start + Length) of the file, compressed with <see cref="Codec"/>.</summary>
internal readonly record struct ChunkInfo(ParquetColumn Column, int Codec, long Start, long Length, long Values);

/// <summary>One row group: the rows it claims and the chosen columns' chunks, in the order asked for.</summary>
internal sealed record RowGroupInfo(int Index, long Rows, ChunkInfo[] Chunks);

internal sealed class ParquetFooter
{
    private const int TypeByteArray = 6;
    private static readonly string[] TypeNames = ["BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"];

    private readonly byte[] _bytes;
    private readonly long _dataEnd;   // where the footer starts: every chunk must end before it
    private int _rowGroupPosition;    // the next row group's first byte in _bytes
    private int _rowGroupsLeft;
    private int _nextRowGroup;

    public IReadOnlyList<ParquetColumn> Columns { get; }
    public int LeafCount { get; }
    public int RowGroupCount { get; }

    /// <summary>Parses <paramref name="bytes"/>, the footer of a file whose data ends at <paramref name="dataEnd"/>.</summary>
    public ParquetFooter(byte[] bytes, long dataEnd, ParquetLimits limits)
    {
        _bytes = bytes;
        _dataEnd = dataEnd;
        var reader = new ThriftReader(bytes);
        List<ParquetColumn>? columns = null;
        var leaves = 0;
        var rowGroupsAt = -1;
        short last = 0;
        while (reader.NextField(ref last, out var id, out var type))
        {
            if (id == 2 && type == ThriftType.List)
            {
                (columns, leaves) = ReadSchema(ref reader, limits);
            }
            else if (id == 4 && type == ThriftType.List)
            {
                // Row groups are read when reached (ReadNextRowGroup); here only their place and count are noted.
                RowGroupCount = reader.ReadListHeader(out var element);
                if (element != ThriftType.Struct && RowGroupCount > 0) throw new ParquetFormatException("the footer's row groups are not structs");
                rowGroupsAt = reader.Position;
                for (var i = 0; i < RowGroupCount; i++) reader.Skip(ThriftType.Struct, 1);
            }
            else
            {
                reader.Skip(type);
            }
        }
        Columns = columns ?? throw new ParquetFormatException("the footer has no schema");
        LeafCount = leaves;
        if (rowGroupsAt < 0) throw new ParquetFormatException("the footer has no row groups list");
        _rowGroupPosition = rowGroupsAt;
        _rowGroupsLeft = RowGroupCount;
    }

    /// <summary>The next row group with the chunks of <paramref name="chosen"/>, or null after the last.</summary>
    public RowGroupInfo? ReadNextRowGroup(IReadOnlyList<ParquetColumn> chosen)
    {
        if (_rowGroupsLeft == 0) return null;
        var index = _nextRowGroup++;
        _rowGroupsLeft--;
        var reader = new ThriftReader(_bytes, _rowGroupPosition);
        var chunks = new ChunkInfo?[chosen.Count];
        long rows = -1;
        var chunkCount = -1;
        short last = 0;
        while (reader.NextField(ref last, out var id, out var type))
        {
            if (id == 1 && type == ThriftType.List)
            {
                chunkCount = reader.ReadListHeader(out _);
                if (chunkCount != LeafCount)
                    throw new ParquetFormatException($"row group {index} has {chunkCount} column chunks but the schema has {LeafCount} columns");
                for (var leaf = 0; leaf < chunkCount; leaf++)
                {
                    var slot = IndexOf(chosen, leaf);
                    if (slot < 0) reader.Skip(ThriftType.Struct, 1);
                    else chunks[slot] = ReadChunk(ref reader, chosen[slot], index);
                }
            }
            else if (id == 3 && type == ThriftType.I64)
            {
                rows = reader.ReadI64();
            }
            else
            {
                reader.Skip(type);
            }
        }
        _rowGroupPosition = reader.Position;
        if (rows < 0) throw new ParquetFormatException($"row group {index} claims {rows} rows");
        if (chunkCount < 0) throw new ParquetFormatException($"row group {index} has no column chunks");
        var found = new ChunkInfo[chosen.Count];
        for (var i = 0; i < found.Length; i++)
        {
            found[i] = chunks[i] ?? throw new ParquetFormatException($"row group {index} has no chunk for column '{chosen[i].Name}'");
            if (found[i].Values != rows)
                throw new ParquetFormatException($"row group {index} claims {rows} rows but its column '{chosen[i].Name}' claims {found[i].Values} values");
        }
        return new RowGroupInfo(index, rows, found);
    }

    private static int IndexOf(IReadOnlyList<ParquetColumn> chosen, int leaf)
    {
        for (var i = 0; i < chosen.Count; i++)
            if (chosen[i].LeafIndex == leaf) return i;
        return -1;
    }

    /// <summary>ColumnChunk {1: file_path, 3: meta_data}; ColumnMetaData {1: type, 3: path_in_schema, 4: codec,
    /// 5: num_values, 7: total_compressed_size, 9: data_page_offset, 11: dictionary_page_offset}.</summary>
    private ChunkInfo ReadChunk(ref ThriftReader reader, ParquetColumn column, int group)
    {
        string Where() => $"column '{column.Name}' of row group {group}";
        long? values = null, size = null, dataPage = null, dictionaryPage = null;
        int? physical = null, codec = null;
        short last = 0;
        while (reader.NextField(ref last, out var id, out var type))
        {
            if (id == 1 && type == ThriftType.Binary) throw new ParquetFormatException($"{Where()} is stored in another file, which is not supported");
            if (id is 8 or 9) throw new ParquetFormatException($"{Where()} is encrypted, which is not supported");
            if (id != 3 || type != ThriftType.Struct)
            {
                reader.Skip(type);
                continue;
            }
            short metaLast = 0;
            while (reader.NextField(ref metaLast, out var metaId, out var metaType))
            {
                switch (metaId)
                {
                    case 1 when metaType == ThriftType.I32: physical = reader.ReadI32(); break;
                    case 4 when metaType == ThriftType.I32: codec = reader.ReadI32(); break;
                    case 5 when metaType == ThriftType.I64: values = reader.ReadI64(); break;
                    case 7 when metaType == ThriftType.I64: size = reader.ReadI64(); break;
                    case 9 when metaType == ThriftType.I64: dataPage = reader.ReadI64(); break;
                    case 11 when metaType == ThriftType.I64: dictionaryPage = reader.ReadI64(); break;
                    default: reader.Skip(metaType, 1); break;
                }
            }
        }
        if (physical is null || codec is null || values is null || size is null || dataPage is null)
            throw new ParquetFormatException($"{Where()} has incomplete metadata");
        if (physical != TypeByteArray) throw new ParquetFormatException($"{Where()} is stored as {TypeName(physical.Value)}, not BYTE_ARRAY as its schema says");
        if (values < 0) throw new ParquetFormatException($"{Where()} claims {values} values");
        // As Arrow reads it: a dictionary page offset counts only when it lies before the first data page.
        var start = dictionaryPage is > 0 && dictionaryPage < dataPage ? dictionaryPage.Value : dataPage.Value;
        if (start < 4 || size <= 0 || start > _dataEnd || size > _dataEnd - start)
            throw new ParquetFormatException($"{Where()} claims bytes {start}..{start + size} but the file's data ends at byte {_dataEnd}");
        return new ChunkInfo(column, codec.Value, start, size.Value, values.Value);
    }

    /// <summary>SchemaElement {1: type, 3: repetition_type, 4: name, 5: num_children, 6: converted_type, 10: logicalType},
    /// depth-first. Returns the top-level leaves and how many leaves (column chunks per row group) there are in all.</summary>
    private static (List<ParquetColumn>, int) ReadSchema(ref ThriftReader reader, ParquetLimits limits)
    {
        var count = reader.ReadListHeader(out var element);
        if (count == 0 || element != ThriftType.Struct) throw new ParquetFormatException("the footer's schema is empty");
        if (count > limits.MaxSchemaElements)
            throw new ParquetFormatException($"the schema has {count} elements, more than this reader's limit of {limits.MaxSchemaElements}");
        var columns = new List<ParquetColumn>();
        var leaves = 0;
        // Children still expected at each open level: the root first.
        var open = new Stack<int>();
        for (var i = 0; i < count; i++)
        {
            var e = ReadElement(ref reader);
            if (i == 0)
            {
                if (e.Children is not > 0) throw new ParquetFormatException("the schema's root has no columns");
                open.Push(e.Children.Value);
                continue;
            }
            if (open.Count == 0) throw new ParquetFormatException($"the schema has more elements than its groups hold (element {i})");
            var depth = open.Count;
            open.Push(open.Pop() - 1);
            if (e.Children is > 0)
            {
                if (open.Count >= 64) throw new ParquetFormatException("the schema is nested more than 64 deep");
                open.Push(e.Children.Value);
            }
            else
            {
                if (depth == 1)
                {
                    var isText = e.Type == TypeByteArray && e.Text;
                    columns.Add(new ParquetColumn(e.Name, leaves, e.Type is { } t ? TypeName(t) : "group", isText, e.Repetition == 1, e.Repetition == 2));
                }
                leaves++;
            }
            while (open.Count > 0 && open.Peek() == 0) open.Pop();
        }
        if (open.Count > 0) throw new ParquetFormatException("the schema ends before its groups' children");
        return (columns, leaves);
    }

    private readonly record struct Element(string Name, int? Type, int Repetition, int? Children, bool Text);

    private static Element ReadElement(ref ThriftReader reader)
    {
        int? type = null, children = null;
        var repetition = 0;
        var name = "";
        var text = false;
        short last = 0;
        while (reader.NextField(ref last, out var id, out var t))
        {
            switch (id)
            {
                case 1 when t == ThriftType.I32: type = reader.ReadI32(); break;
                case 3 when t == ThriftType.I32: repetition = reader.ReadI32(); break;
                case 4 when t == ThriftType.Binary: name = Encoding.UTF8.GetString(reader.ReadBinary()); break;
                case 5 when t == ThriftType.I32:
                    children = reader.ReadI32();
                    if (children < 0) throw new ParquetFormatException($"schema element '{name}' claims {children} children");
                    break;
                // converted_type UTF8 (0), ENUM (4), JSON (19)
                case 6 when t == ThriftType.I32: text |= reader.ReadI32() is 0 or 4 or 19; break;
                case 10 when t == ThriftType.Struct:
                {
                    // LogicalType is a union: STRING (1), ENUM (4), JSON (12) are text.
                    short logicalLast = 0;
                    while (reader.NextField(ref logicalLast, out var kind, out var kindType))
                    {
                        text |= kind is 1 or 4 or 12;
                        reader.Skip(kindType, 1);
                    }
                    break;
                }
                default: reader.Skip(t, 1); break;
            }
        }
        return new Element(name, type, repetition, children, text);
    }

    private static string TypeName(int type) => type >= 0 && type < TypeNames.Length ? TypeNames[type] : $"type {type}";
}
