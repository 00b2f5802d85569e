// Small random configurations for checkpoint and generation tests (seconds, not minutes).
using Pipeline.Training.Model;

namespace Pipeline.Testing;

public static class TinyModels
{
    public static LlamaConfig Config(bool tied = false) => new()
    {
        VocabSize = 61, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4,
        NumKeyValueHeads = 2, MaxPositionEmbeddings = 128, RmsNormEps = 1e-5, TieWordEmbeddings = tied,
        BosTokenId = 1, EosTokenIds = [2], InitializerRange = 0.2,
    };

    public static CausalLm Create(int seed, bool tied = false) => new(Config(tied), seed);
}
