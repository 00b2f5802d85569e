// The decoder stack under the `model.` prefix (Hugging Face LlamaModel): embeddings, layers, final norm.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class LlamaModel : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly Embedding embed_tokens;
    private readonly ModuleList<DecoderLayer> layers;
    private readonly RmsNorm norm;
    private readonly Rotary rotary;

    public LlamaModel(LlamaConfig config) : base(nameof(LlamaModel))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize);
        layers = nn.ModuleList(Enumerable.Range(0, config.NumHiddenLayers).Select(_ => new DecoderLayer(config)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps);
        rotary = new Rotary(config);
        RegisterComponents();
    }

    internal Parameter EmbeddingWeight => embed_tokens.weight!;

    public override Tensor forward(Tensor inputIds, Tensor? attentionMask) => Forward(inputIds, attentionMask, null);

    /// <summary>
    /// inputIds (B, T); attentionMask (B, past + T), 1 = token, 0 = padding, or null for none.
    /// Positions count real tokens only (cumsum of the mask), so left padding does not shift them.
    /// </summary>
    internal Tensor Forward(Tensor inputIds, Tensor? attentionMask, KvCache? cache) // -> (B, T, C)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (inputIds.shape[0], inputIds.shape[1]);
        var past = cache?.Length ?? 0;
        var device = inputIds.device;
        var positions = attentionMask is null
            ? arange(past, past + t, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, t) // (B, T)
            : (attentionMask.cumsum(1, ScalarType.Int64) - 1).clamp_min(0).narrow(1, past, t);       // (B, T)
        var mask = AttendMask(attentionMask, t, past, device);                                        // (B|1, 1, T, S)
        var x = embed_tokens.forward(inputIds);                                                      // (B, T, C)
        var rope = rotary.Angles(positions, x.dtype);                                                // (B, 1, T, hs)
        for (var i = 0; i < layers.Count; i++)
            x = layers[i].Forward(x, rope, mask, cache, i);
        cache?.Advance(t);
        return norm.forward(x).MoveToOuterDisposeScope();                                           // (B, T, C)
    }

    /// <summary>
    /// Boolean (B, 1, T, S), true = may attend: causal and not padding. Null when plain causal attention is exact
    /// (no padding, no cache), so SDPA can take its fused causal path. Every query may see itself, so a padding row
    /// is never empty (an all-false row would give NaN); real tokens never see padding.
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
        return (allowed & notPadding) | (key == query);                                          // (B, 1, T, S)
    }
}
