// Read and write safetensors files (single or sharded with model.safetensors.index.json), memory-mapped so that
// weights stream straight from the page cache into tensors without a second full copy.
using System.IO.MemoryMappedFiles;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Checkpoints;

public static class Safetensors
{
    public const string IndexFileName = "model.safetensors.index.json";

    /// <summary>All tensors of a .safetensors file, or of every shard named by an index .json, as CPU tensors.</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var file in ShardFiles(path))
        {
            var header = SafetensorsHeader.Read(file);
            using var mapped = MemoryMappedFile.CreateFromFile(file, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            foreach (var entry in header.Tensors.Values)
            {
                var tensor = empty(entry.Shape, entry.ScalarType).DetachFromDisposeScope();
                CopyInto(mapped, entry, tensor);
                result[entry.Name] = tensor;
            }
        }
        return result;
    }

    /// <summary>Headers of every file behind <paramref name="path"/> (a .safetensors file or an index .json).</summary>
    public static IReadOnlyList<SafetensorsHeader> ReadHeaders(string path) => ShardFiles(path).Select(SafetensorsHeader.Read).ToList();

    /// <summary>
    /// Copies each named tensor from the file(s) into <paramref name="targets"/> (CPU, contiguous), converting dtype
    /// where file and target differ. Call under no_grad for parameters.
    /// </summary>
    public static void ReadInto(string path, IReadOnlyDictionary<string, Tensor> targets)
    {
        foreach (var header in ReadHeaders(path))
        {
            using var mapped = MemoryMappedFile.CreateFromFile(header.Path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            foreach (var entry in header.Tensors.Values)
                if (targets.TryGetValue(entry.Name, out var target))
                    CopyInto(mapped, entry, target);
        }
    }

    private static void CopyInto(MemoryMappedFile mapped, SafetensorsEntry entry, Tensor target)
    {
        if (entry.ByteLength == 0)
            return;
        using var view = mapped.CreateViewStream(entry.Begin, entry.ByteLength, MemoryMappedFileAccess.Read);
        if (target.dtype == entry.ScalarType && target.device_type == DeviceType.CPU && target.is_contiguous())
        {
            target.ReadBytesFromStream(view); // straight into the target's memory: no temporary
            return;
        }
        using var staged = empty(entry.Shape, entry.ScalarType);   // one tensor at a time, in the file's dtype
        staged.ReadBytesFromStream(view);
        target.copy_(staged);
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
