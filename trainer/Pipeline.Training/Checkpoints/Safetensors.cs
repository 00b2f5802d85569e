// Read and write safetensors files (single or sharded with model.safetensors.index.json). Reading copies each tensor
// straight from the file into its destination with positioned reads, 64 MiB at a time: no second copy of a tensor and
// no mapping, so the file's pages never count in the process's RSS and loading peaks at the model's own size.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Checkpoints;

public static class Safetensors
{
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>Bytes read per positioned read; also the staging size when the file's dtype or device differ.</summary>
    internal const long WindowBytes = 64L << 20;

    /// <summary>All tensors of a .safetensors file, or of every shard named by an index .json, as CPU tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var header in ReadHeaders(path))
        {
            using var file = File.OpenHandle(header.Path);
            foreach (var entry in header.Tensors.Values)
            {
                var tensor = empty(entry.Shape, entry.ScalarType).DetachFromDisposeScope();
                CopyInto(file, header.Path, entry, tensor);
                result[entry.Name] = tensor;
            }
        }
        return result;
    }

    /// <summary>Headers of every file behind <paramref name="path"/> (a .safetensors file or an index .json).</summary>
    public static IReadOnlyList<SafetensorsHeader> ReadHeaders(string path) => ShardFiles(path).Select(SafetensorsHeader.Read).ToList();

    /// <summary>
    /// Copies each named tensor from the file(s) into <paramref name="targets"/> (contiguous, any device), converting
    /// dtype where file and target differ. Call under no_grad for parameters.
    /// </summary>
    public static void ReadInto(string path, IReadOnlyDictionary<string, Tensor> targets)
    {
        foreach (var header in ReadHeaders(path))
        {
            using var file = File.OpenHandle(header.Path);
            foreach (var entry in header.Tensors.Values)
                if (targets.TryGetValue(entry.Name, out var target))
                    CopyInto(file, header.Path, entry, target);
        }
    }

    /// <summary>
    /// Reads the entry window by window: into the target's own memory when it is a contiguous CPU tensor of the file's
    /// dtype, else into one staging window in the file's dtype that is then copied (converted, moved) into place.
    /// </summary>
    private static void CopyInto(SafeFileHandle file, string path, SafetensorsEntry entry, Tensor target)
    {
        var elementBytes = SafetensorsHeader.ElementSize(entry.Dtype);
        var count = entry.ByteLength / elementBytes;
        if (target.numel() != count)
            throw new InvalidDataException($"{path}: tensor '{entry.Name}' holds {count} values, its destination {target.numel()}.");
        if (count == 0)
            return;
        if (!target.is_contiguous())
            throw new ArgumentException($"destination of '{entry.Name}' is not contiguous.", nameof(target));
        using var scope = NewDisposeScope();
        var flat = target.view(-1);
        var direct = target.dtype == entry.ScalarType && target.device_type == DeviceType.CPU;
        var perWindow = Math.Max(1, WindowBytes / elementBytes);
        var staging = direct ? null : empty(Math.Min(perWindow, count), entry.ScalarType);
        for (long start = 0; start < count; start += perWindow)
        {
            var n = Math.Min(perWindow, count - start);
            var slice = flat.narrow(0, start, n);
            var destination = staging is null ? slice : staging.narrow(0, 0, n);
            ReadExactly(file, path, destination.bytes, entry.Begin + start * elementBytes);
            if (staging is not null)
                slice.copy_(destination);
        }
    }

    private static void ReadExactly(SafeFileHandle file, string path, Span<byte> buffer, long offset)
    {
        while (buffer.Length > 0)
        {
            var read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
                throw new InvalidDataException($"{path}: ends at byte {offset}, inside a tensor's data.");
            buffer = buffer[read..];
            offset += read;
        }
    }

    /// <summary>Writes one file: 8-byte length, JSON header padded with spaces to a multiple of 8, then the data.</summary>
    public static void Write(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = ToJson(metadata ?? new Dictionary<string, string> { ["format"] = "pt" }) };
        long offset = 0;
        foreach (var name in names)
        {
            var t = tensors[name];
            var bytes = t.numel() * t.ElementSize;
            header[name] = new JsonObject
            {
                ["dtype"] = SafetensorsHeader.ToDtype(t.dtype),
                ["shape"] = new JsonArray(t.shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        var json = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = (json.Length + 7) / 8 * 8;

        var temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            stream.Write(BitConverter.GetBytes((long)padded));
            stream.Write(json);
            for (var i = json.Length; i < padded; i++)
                stream.WriteByte((byte)' ');
            foreach (var name in names)
            {
                using var scope = NewDisposeScope();
                var t = tensors[name].detach().cpu().contiguous();
                t.WriteBytesToStream(stream);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Writes an index (Hugging Face layout): total_size and which shard holds each tensor.</summary>
    public static void WriteIndex(string path, long totalSize, IReadOnlyDictionary<string, string> weightMap)
    {
        var map = new JsonObject();
        foreach (var (name, file) in weightMap.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            map[name] = file;
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = totalSize }, ["weight_map"] = map };
        File.WriteAllText(path, index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static JsonObject ToJson(IReadOnlyDictionary<string, string> metadata)
    {
        var o = new JsonObject();
        foreach (var (k, v) in metadata)
            o[k] = v;
        return o;
    }

    /// <summary>The files behind a path: itself, or the shards an index names (each once, in order).</summary>
    private static IReadOnlyList<string> ShardFiles(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: no such safetensors file or index.", path);
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
            return [path];
        JsonNode? map;
        try
        {
            map = JsonNode.Parse(File.ReadAllText(path))?["weight_map"];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}: {e.Message}", e);
        }
        if (map is not JsonObject weights)
            throw new InvalidDataException($"{path}: no \"weight_map\" object.");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return weights.Select(kv => kv.Value?.GetValue<string>()
                ?? throw new InvalidDataException($"{path}: weight_map['{kv.Key}'] is not a file name."))
            .Distinct().Select(f => Path.Combine(dir, f)).ToList();
    }
}
