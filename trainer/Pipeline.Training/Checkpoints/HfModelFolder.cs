// A Hugging Face model folder: config.json plus model.safetensors, or shards with model.safetensors.index.json.
// Loading checks every key and shape like nanoGPT's from_pretrained, then reads the weights straight into parameters
// made in the dtype they are stored in (as transformers' torch_dtype="auto"): a bf16 checkpoint stays bf16.
using Pipeline.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Checkpoints;

public static class HfModelFolder
{
    public const string ConfigFileName = "config.json";
    public const string WeightsFileName = "model.safetensors";

    /// <summary>Keys some checkpoints carry that are recomputed rather than learned.</summary>
    private static bool IsIgnorable(string key) => key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>
    /// Loads the model onto <paramref name="device"/> in <paramref name="dtype"/>, or by default in the dtype its
    /// weights are stored in (<see cref="StoredDtype"/>). Peak memory is the model itself plus one 64 MiB window.
    /// </summary>
    public static CausalLm Load(string dir, Device device, ScalarType? dtype = null)
    {
        var config = LlamaConfig.Load(Path.Combine(dir, ConfigFileName));
        var weights = WeightsPath(dir);
        var entries = Safetensors.ReadHeaders(weights).SelectMany(h => h.Tensors.Values).ToDictionary(e => e.Name);

        // Every parameter is written below, straight from the file: made uninitialised in its final dtype and device.
        var model = new CausalLm(config, new ParameterAllocator(dtype ?? StoredDtype(entries.Values, device), device), initialize: false);
        var state = model.state_dict();
        CheckKeys(weights, config, state, entries);
        using (no_grad())
            Safetensors.ReadInto(weights, state);
        return model;
    }

    /// <summary>
    /// The floating dtype holding most of the weights' bytes. float16 becomes float32 on the CPU, exactly: half-precision
    /// matmuls run at about 1 GFLOP/s there (FACTS.md), bfloat16 ones at 400.
    /// </summary>
    public static ScalarType StoredDtype(IEnumerable<SafetensorsEntry> entries, Device device)
    {
        var stored = entries.Where(e => e.ScalarType is ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64)
            .GroupBy(e => e.ScalarType).OrderByDescending(g => g.Sum(e => e.ByteLength)).Select(g => g.Key)
            .DefaultIfEmpty(ScalarType.Float32).First();
        return stored == ScalarType.Float16 && device.type == DeviceType.CPU ? ScalarType.Float32 : stored;
    }

    /// <summary>The dtype <see cref="Load"/> gives the model in <paramref name="dir"/> by default.</summary>
    public static ScalarType StoredDtype(string dir, Device device) =>
        StoredDtype(Safetensors.ReadHeaders(WeightsPath(dir)).SelectMany(h => h.Tensors.Values), device);

    /// <summary>
    /// Writes config.json (torch_dtype from the weights), generation_config.json when the config names BOS/EOS, and
    /// the weights: one model.safetensors, or shards of at most <paramref name="maxShardBytes"/> plus an index.
    /// Refuses a folder that already holds weights, so nothing is overwritten.
    /// </summary>
    public static void Save(CausalLm model, string dir, long maxShardBytes = 2L << 30)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        Directory.CreateDirectory(dir);
        // A *.partial file is the remains of a write killed midway (Safetensors.Write renames only when done): not weights.
        var existing = Directory.EnumerateFiles(dir, "model*.safetensors*").FirstOrDefault(f => !f.EndsWith(".partial", StringComparison.Ordinal));
        if (existing is not null)
            throw new IOException($"{dir}: already holds weights ({Path.GetFileName(existing)}); save into an empty folder.");

        var state = model.state_dict();
        var dtypeName = DtypeName(state.Values.First().dtype);
        (model.Config with { TorchDtype = dtypeName }).Save(Path.Combine(dir, ConfigFileName));
        GenerationConfig.FromModel(model.Config).Save(Path.Combine(dir, GenerationConfig.FileName));

        var shards = new List<Dictionary<string, Tensor>> { new() };
        long shardBytes = 0, totalBytes = 0;
        foreach (var (name, tensor) in state)
        {
            var bytes = tensor.numel() * tensor.ElementSize;
            if (shardBytes > 0 && shardBytes + bytes > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1][name] = tensor;
            shardBytes += bytes;
            totalBytes += bytes;
        }
        if (shards.Count == 1)
        {
            Safetensors.Write(shards[0], Path.Combine(dir, WeightsFileName));
            return;
        }
        var weightMap = new Dictionary<string, string>();
        for (var i = 0; i < shards.Count; i++)
        {
            var file = $"model-{i + 1:00000}-of-{shards.Count:00000}.safetensors";
            Safetensors.Write(shards[i], Path.Combine(dir, file));
            foreach (var name in shards[i].Keys)
                weightMap[name] = file;
        }
        // The index last: a reader never sees an index whose shards are incomplete.
        Safetensors.WriteIndex(Path.Combine(dir, Safetensors.IndexFileName), totalBytes, weightMap);
    }

    /// <summary>config.json's torch_dtype spelling.</summary>
    public static string DtypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.BFloat16 => "bfloat16",
        ScalarType.Float16 => "float16",
        _ => "float32",
    };

    internal static string WeightsPath(string dir)
    {
        var index = Path.Combine(dir, Safetensors.IndexFileName);
        if (File.Exists(index))
            return index;
        var single = Path.Combine(dir, WeightsFileName);
        if (File.Exists(single))
            return single;
        throw new FileNotFoundException($"{dir}: neither {WeightsFileName} nor {Safetensors.IndexFileName} found.");
    }

    private static void CheckKeys(string weights, LlamaConfig config, IReadOnlyDictionary<string, Tensor> state,
        IReadOnlyDictionary<string, SafetensorsEntry> entries)
    {
        var missing = state.Keys.Where(k => !entries.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        // A tied checkpoint may still store lm_head.weight (a copy of the embedding); transformers ignores it too.
        var unexpected = entries.Keys
            .Where(k => !state.ContainsKey(k) && !IsIgnorable(k) && !(config.TieWordEmbeddings && k == "lm_head.weight"))
            .Order(StringComparer.Ordinal).ToList();
        var wrongShape = state.Where(kv => entries.TryGetValue(kv.Key, out var e) && !e.Shape.SequenceEqual(kv.Value.shape))
            .Select(kv => $"{kv.Key} (file [{string.Join(", ", entries[kv.Key].Shape)}], model [{string.Join(", ", kv.Value.shape)}])")
            .ToList();
        if (missing.Count + unexpected.Count + wrongShape.Count == 0)
            return;
        var problems = new List<string>();
        if (missing.Count > 0) problems.Add($"missing keys: {string.Join(", ", missing)}");
        if (unexpected.Count > 0) problems.Add($"unexpected keys: {string.Join(", ", unexpected)}");
        if (wrongShape.Count > 0) problems.Add($"wrong shapes: {string.Join(", ", wrongShape)}");
        throw new InvalidDataException($"{weights}: weights do not match config.json: {string.Join("; ", problems)}.");
    }
}
