// Named model shapes for `init-model`: tiny (tests, demo) and small, both with the GPT-2 + ChatML tokenizer's ids.
namespace Pipeline.Training.Model;

public static class ModelPresets
{
    /// <summary>GPT-2's 50257 tokens plus <|im_start|>, <|im_end|> = 50259, padded to a multiple of 64 for fast matmuls.</summary>
    public const int Gpt2ChatMlVocabSize = 50304;
    public const int EndOfTextId = 50256;
    public const int ImEndId = 50258;

    public static IReadOnlyList<string> Names { get; } = ["tiny", "small"];

    public static LlamaConfig Get(string name) => name switch
    {
        "tiny" => Gpt2ChatMl(hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 172),
        "small" => Gpt2ChatMl(hidden: 256, layers: 4, heads: 4, kvHeads: 2, intermediate: 688),
        _ => throw new ArgumentException($"unknown preset '{name}' (choose one of: {string.Join(", ", Names)}).", nameof(name)),
    };

    private static LlamaConfig Gpt2ChatMl(int hidden, int layers, int heads, int kvHeads, int intermediate) => new()
    {
        VocabSize = Gpt2ChatMlVocabSize, HiddenSize = hidden, IntermediateSize = intermediate, NumHiddenLayers = layers,
        NumAttentionHeads = heads, NumKeyValueHeads = kvHeads, MaxPositionEmbeddings = 2048, RmsNormEps = 1e-5,
        RopeTheta = 10000, TieWordEmbeddings = true, BosTokenId = EndOfTextId, EosTokenIds = [ImEndId, EndOfTextId],
        PadTokenId = EndOfTextId,
    };
}
