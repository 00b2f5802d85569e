// Grouped-query self-attention with rotary embeddings (Hugging Face LlamaAttention / Qwen2Attention / Qwen3Attention),
// no dropout. Qwen3 adds q_norm / k_norm: an RMSNorm over each head's width before RoPE. Projections run through
// .call() so forward hooks (a LoRA adapter, Trainer/Lora.cs) apply; keys stay Hugging Face's.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class Attention : nn.Module<Tensor, RopeAngles, Tensor?, Tensor>
{
    private readonly Linear q_proj, k_proj, v_proj, o_proj;
    private readonly RmsNorm? q_norm, k_norm; // Qwen3 only
    private readonly int nh, nkv, hs;

    internal Attention(LlamaConfig config, ParameterAllocator weights) : base(nameof(Attention))
    {
        (nh, nkv, hs) = (config.NumAttentionHeads, config.KvHeads, config.HeadSize);
        q_proj = weights.Linear(config.HiddenSize, nh * hs, hasBias: config.QkvBias);
        k_proj = weights.Linear(config.HiddenSize, nkv * hs, hasBias: config.QkvBias);
        v_proj = weights.Linear(config.HiddenSize, nkv * hs, hasBias: config.QkvBias);
        o_proj = weights.Linear(nh * hs, config.HiddenSize, hasBias: config.OutputBias);
        if (config.QkNorm)
        {
            q_norm = new RmsNorm(hs, config.RmsNormEps, weights);
            k_norm = new RmsNorm(hs, config.RmsNormEps, weights);
        }
        RegisterComponents();
    }

    /// <summary>No cache: the sequence attends to itself. mask (B, 1, T, T) boolean, true = may attend; null = causal.</summary>
    public override Tensor forward(Tensor x, RopeAngles rope, Tensor? mask) => Forward(x, rope, mask, null, 0);

    internal Tensor Forward(Tensor x, RopeAngles rope, Tensor? mask, KvCache? cache, int layer) // x (B, T, C)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = q_proj.call(x).view(b, t, nh, hs);                   // (B, T, nh, hs)
        var k = k_proj.call(x).view(b, t, nkv, hs);                  // (B, T, nkv, hs)
        if (q_norm is not null && k_norm is not null)
            (q, k) = (q_norm.forward(q), k_norm.forward(k));         // per head, over hs
        q = q.transpose(1, 2);                                       // (B, nh, T, hs)
        k = k.transpose(1, 2);                                       // (B, nkv, T, hs)
        var v = v_proj.call(x).view(b, t, nkv, hs).transpose(1, 2);  // (B, nkv, T, hs)
        q = Rotary.Apply(q, rope);
        k = Rotary.Apply(k, rope);
        if (cache is not null)
            { var kv = cache.Append(layer, k, v); (k, v) = (kv.Keys, kv.Values); } // (B, nkv, S, hs), S = cached + T
        if (nkv != nh)
        {
            // TorchSharp's SDPA has no enable_gqa: repeat each key/value head for its group of query heads.
            k = k.repeat_interleave(nh / nkv, dim: 1);                   // (B, nh, S, hs)
            v = v.repeat_interleave(nh / nkv, dim: 1);
        }
        var y = mask is null
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, attn_mask: mask); // (B, nh, T, hs)
        y = y.transpose(1, 2).contiguous().view(b, t, nh * hs);          // (B, T, nh*hs)
        return o_proj.call(y).MoveToOuterDisposeScope();              // (B, T, C)
    }
}
