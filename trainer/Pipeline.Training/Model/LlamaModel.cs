// The decoder stack under the `model.` prefix (Hugging Face LlamaModel): embeddings, layers, final norm.
// Its stages (Embed, Prepare, Layers, Norm) are open to gradient checkpointing (GradientCheckpointing.cs).
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class LlamaModel : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly TokenEmbedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly Rotary rotary;

    internal LlamaModel(LlamaConfig config, ParameterAllocator weights) : base(nameof(LlamaModel))
    {
        embed_tokens = weights.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new DecoderLayer(config, weights)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, weights);
        rotary = new Rotary(config);
        RegisterComponents();
    }

    internal Parameter EmbeddingWeight => embed_tokens.Weight;
    internal ModuleList<DecoderLayer> Layers => layers;
    internal RmsNorm Norm => norm;

    public override Tensor forward(Tensor inputIds, Tensor? attentionMask) => Forward(inputIds, attentionMask, null);

    /// <summary>
    /// inputIds (B, T); attentionMask (B, past + T), 1 = token, 0 = padding, or null for none.
    /// Without a cache (training, evaluation) as transformers' LlamaModel without position_ids: positions 0..T-1 and
    /// padded keys masked, so even padded positions get TRL's logits. With a cache (generation, left padding) positions
    /// count real tokens only (cumsum of the mask), as generate() passes them.
    /// </summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache) // -> (B, T, C)
    {
        using var scope = NewDisposeScope();
        var x = Embed(inputIds);                                                                     // (B, T, C)
        var context = Prepare(inputIds, attentionMask, cache?.Length ?? 0, x.dtype, generating: cache is not null);
        for (var i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, context.Rope, context.Mask, cache, i);
        cache?.Advance(inputIds.shape[1]);
        return norm.forward(x).MoveToOuterDisposeScope();                                           // (B, T, C)
    }

    internal Tensor Embed(Tensor inputIds) => embed_tokens.forward(inputIds); // (B, T) -> (B, T, C)

    /// <summary>What every layer needs besides x: rotary angles for the positions and the attention mask.</summary>
    internal LayerContext Prepare(Tensor inputIds, Tensor? attentionMask, long past, ScalarType dtype, bool generating = false)
    {
        var (b, t) = (inputIds.shape[0], inputIds.shape[1]);
        var device = inputIds.device;
        var positions = attentionMask is null || !generating
            ? arange(past, past + t, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, t) // (B, T)
            : (attentionMask.cumsum(1, ScalarType.Int64) - 1).clamp_min(0).narrow(1, past, t);       // (B, T)
        return new LayerContext(rotary.Angles(positions, dtype), AttendMask(attentionMask, t, past, device)); // (B, 1, T, hs), (B|1, 1, T, S)
    }

    /// <summary>
    /// Boolean (B, 1, T, S), true = may attend: causal and not padding. Null when plain causal attention is exact
    /// (no padding, no cache), so SDPA can take its fused causal path. Real tokens never see padding, nor do padded
    /// queries (as transformers masks them); only a row with no real key at all (left padding) sees itself, since an
    /// all-false row would give NaN.
    /// </summary>
    private static Tensor? AttendMask(Tensor? attentionMask, long t, long past, Device device)
    {
        if (attentionMask is null && past == 0)
            return null;
        var s = past + t;
        var query = arange(past, s, dtype: ScalarType.Int64, device: device).view(1, 1, t, 1); // (1, 1, T, 1)
        var key = arange(0, s, dtype: ScalarType.Int64, device: device).view(1, 1, 1, s);      // (1, 1, 1, S)
        var allowed = key <= query;                                                            // (1, 1, T, S)
        if (attentionMask is null)
            return allowed;
        var notPadding = attentionMask.to_type(ScalarType.Bool).view(attentionMask.shape[0], 1, 1, s); // (B, 1, 1, S)
        var attend = allowed & notPadding;                                                       // (B, 1, T, S)
        var empty = attend.any(-1, keepdim: true).logical_not();                                 // (B, 1, T, 1)
        return attend | (empty & (key == query));                                                // (B, 1, T, S)
    }
}

/// <summary>Rotary angles (B, 1, T, hs) and the attention mask (B|1, 1, T, S) or null for plain causal attention.</summary>
internal sealed record LayerContext(RopeAngles Rope, Tensor? Mask);
