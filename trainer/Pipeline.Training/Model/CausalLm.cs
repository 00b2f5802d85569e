// Llama-family causal language model (Hugging Face LlamaForCausalLM): decoder stack plus an lm_head, or the
// embedding matrix reused when tie_word_embeddings is set. State-dict keys match Hugging Face one to one.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class CausalLm : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly LlamaModel model;
    private readonly Linear? lm_head; // absent when tied: logits use model.embed_tokens.weight

    public LlamaConfig Config { get; }

    /// <summary>Random initialisation as Hugging Face's _init_weights: N(0, initializer_range), zero bias, unit norms.</summary>
    public CausalLm(LlamaConfig config) : this(config, initialize: true)
    {
    }

    /// <summary>Random initialisation from a private generator: the same seed gives the same weights whatever other
    /// threads do with torch's global generator.</summary>
    public CausalLm(LlamaConfig config, long seed) : this(config, initialize: false)
    {
        using var generator = new Generator((ulong)seed);
        InitWeights(config.InitializerRange, generator);
    }

    /// <summary>initialize false skips the random init, for weights about to be loaded from a checkpoint.</summary>
    internal CausalLm(LlamaConfig config, bool initialize) : base(nameof(CausalLm))
    {
        config.Validate();
        Config = config;
        model = new LlamaModel(config);
        if (!config.TieWordEmbeddings)
            lm_head = nn.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        if (initialize)
            InitWeights(config.InitializerRange, null);
    }

    /// <summary>inputIds (B, T) int64; attentionMask (B, T) int64, 1 = token, 0 = padding, or null -> logits (B, T, V).</summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask) => Forward(inputIds, attentionMask, null);

    /// <summary>With a cache, inputIds are the new tokens only and attentionMask covers cached + new positions.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, attentionMask, cache);                                // (B, T, C)
        var logits = lm_head?.call(h) ?? nn.functional.linear(h, model.EmbeddingWeight);  // (B, T, V)
        return logits.MoveToOuterDisposeScope();
    }

    private void InitWeights(double std, Generator? generator)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is Linear linear)
            {
                linear.weight!.normal_(0, std, generator);
                linear.bias?.zero_();
            }
            else if (module is Embedding embedding)
            {
                embedding.weight!.normal_(0, std, generator);
            }
        }
    }
}
