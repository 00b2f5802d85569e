// The safetensors header (https://github.com/huggingface/safetensors#format): u64 little-endian N, N bytes of UTF-8
// JSON {name: {dtype, shape, data_offsets [begin, end)} relative to byte 8 + N, "__metadata__": {str: str}}.
using System.Text.Json;
using static TorchSharp.torch;

namespace Pipeline.Training.Checkpoints;

/// <summary>One tensor's entry: dtype, shape and absolute byte range in the file.</summary>
public sealed record SafetensorsEntry(string Name, string Dtype, long[] Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;
    public ScalarType ScalarType => SafetensorsHeader.ToScalarType(Dtype);
}

public sealed record SafetensorsHeader(string Path, IReadOnlyDictionary<string, SafetensorsEntry> Tensors,
    IReadOnlyDictionary<string, string> Metadata, long DataStart)
{
    private static readonly Dictionary<string, (ScalarType Type, int Size)> Dtypes = new()
    {
        ["F64"] = (ScalarType.Float64, 8), ["F32"] = (ScalarType.Float32, 4), ["F16"] = (ScalarType.Float16, 2),
        ["BF16"] = (ScalarType.BFloat16, 2), ["I64"] = (ScalarType.Int64, 8), ["I32"] = (ScalarType.Int32, 4),
        ["I16"] = (ScalarType.Int16, 2), ["I8"] = (ScalarType.Int8, 1), ["U8"] = (ScalarType.Byte, 1),
        ["BOOL"] = (ScalarType.Bool, 1),
    };

    public static ScalarType ToScalarType(string dtype) => Dtypes.TryGetValue(dtype, out var d)
        ? d.Type
        : throw new InvalidDataException($"unsupported safetensors dtype '{dtype}'.");

    public static string ToDtype(ScalarType type) =>
        Dtypes.FirstOrDefault(d => d.Value.Type == type).Key
        ?? throw new ArgumentException($"{type} has no safetensors dtype.", nameof(type));

    public static int ElementSize(string dtype) => Dtypes.TryGetValue(dtype, out var d)
        ? d.Size
        : throw new InvalidDataException($"unsupported safetensors dtype '{dtype}'.");

    /// <summary>Reads and checks the header: sizes, dtypes and that byte ranges lie inside the file and match shapes.</summary>
    public static SafetensorsHeader Read(string path)
    {
        using var file = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        if (file.Read(prefix) != 8)
            throw new InvalidDataException($"{path}: not a safetensors file (shorter than its 8-byte header length).");
        var n = BitConverter.ToInt64(prefix);
        if (n <= 0 || n > file.Length - 8 || n > 100_000_000)
            throw new InvalidDataException($"{path}: header length {n} does not fit the file's {file.Length} bytes.");
        var json = new byte[n];
        file.ReadExactly(json);
        var dataStart = 8 + n;
        var dataLength = file.Length - dataStart;

        JsonElement root;
        try
        {
            root = JsonDocument.Parse(json).RootElement;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON: {e.Message}", e);
        }
        var tensors = new Dictionary<string, SafetensorsEntry>();
        var metadata = new Dictionary<string, string>();
        foreach (var property in root.EnumerateObject())
        {
            if (property.Name == "__metadata__")
            {
                foreach (var m in property.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.GetString() ?? "";
                continue;
            }
            var v = property.Value;
            var dtype = v.GetProperty("dtype").GetString() ?? "";
            var shape = v.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var offsets = v.GetProperty("data_offsets").EnumerateArray().Select(d => d.GetInt64()).ToArray();
            var expected = shape.Aggregate(1L, (a, d) => a * d) * ElementSize(dtype);
            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > dataLength || offsets[1] - offsets[0] != expected)
                throw new InvalidDataException(
                    $"{path}: tensor '{property.Name}': data_offsets [{string.Join(", ", offsets)}] do not hold {dtype} [{string.Join(", ", shape)}] ({expected} bytes) within {dataLength} data bytes.");
            tensors[property.Name] = new SafetensorsEntry(property.Name, dtype, shape, dataStart + offsets[0], dataStart + offsets[1]);
        }
        return new SafetensorsHeader(path, tensors, metadata, dataStart);
    }
}
