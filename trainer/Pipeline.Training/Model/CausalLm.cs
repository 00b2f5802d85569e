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
    public CausalLm(LlamaConfig config) : this(config, ParameterAllocator.Float32Cpu, initialize: true)
    {
    }

    /// <summary>Random initialisation from a private generator: the same seed gives the same weights whatever other
    /// threads do with torch's global generator.</summary>
    public CausalLm(LlamaConfig config, long seed) : this(config, ParameterAllocator.Float32Cpu, initialize: false)
    {
        using var generator = new Generator((ulong)seed);
        InitWeights(config.InitializerRange, generator);
    }

    /// <summary>initialize false leaves the parameters unwritten, for weights about to be loaded from a checkpoint.</summary>
    internal CausalLm(LlamaConfig config, ParameterAllocator weights, bool initialize) : base(nameof(CausalLm))
    {
        config.Validate();
        Config = config;
        model = new LlamaModel(config, weights);
        if (!config.TieWordEmbeddings)
            lm_head = weights.Linear(config.HiddenSize, config.VocabSize, hasBias: false);
        RegisterComponents();
        if (initialize)
            InitWeights(config.InitializerRange, null);
    }

    /// <summary>The dtype of the parameters (all share one).</summary>
    public ScalarType Dtype => model.EmbeddingWeight.dtype;

    internal LlamaModel Backbone => model;

    /// <summary>inputIds (B, T) int64; attentionMask (B, T) int64, 1 = token, 0 = padding, or null -> logits (B, T, V).</summary>
    public override Tensor forward(Tensor inputIds, Tensor? attentionMask) => Forward(inputIds, attentionMask, null);

    /// <summary>With a cache, inputIds are the new tokens only and attentionMask covers cached + new positions.</summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = model.Forward(inputIds, attentionMask, cache); // (B, T, C)
        return LmHead(h).MoveToOuterDisposeScope();             // (B, T, V)
    }

    /// <summary>Final hidden states (B, T, C), after the last norm: what the lm_head turns into logits.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor? attentionMask) => model.Forward(inputIds, attentionMask, null);

    /// <summary>Logits (..., V) for hidden states (..., C); through lm_head.call(), so an adapter on lm_head applies.</summary>
    public Tensor LmHead(Tensor h) => lm_head?.call(h) ?? nn.functional.linear(h, model.EmbeddingWeight);

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
            else if (module is TokenEmbedding embedding)
            {
                embedding.Weight.normal_(0, std, generator);
            }
        }
    }
}
