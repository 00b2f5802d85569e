// One pre-norm transformer block (Hugging Face LlamaDecoderLayer): x + attn(norm(x)), then x + mlp(norm(x)).
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class DecoderLayer : nn.Module<Tensor, RopeAngles, Tensor?, Tensor>
{
    private readonly RmsNorm input_layernorm, post_attention_layernorm;
    private readonly Attention self_attn;
    private readonly Mlp mlp;

    internal DecoderLayer(LlamaConfig config, ParameterAllocator weights) : base(nameof(DecoderLayer))
    {
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, weights);
        self_attn = new Attention(config, weights);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, weights);
        mlp = new Mlp(config, weights);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x, RopeAngles rope, Tensor? mask) => Forward(x, rope, mask, null, 0);

    internal Tensor Forward(Tensor x, RopeAngles rope, Tensor? mask, KvCache? cache, int layer) // x (B, T, C)
    {
        using var scope = NewDisposeScope();
        x = x + self_attn.Forward(input_layernorm.forward(x), rope, mask, cache, layer);
        x = x + mlp.forward(post_attention_layernorm.forward(x));
        return x.MoveToOuterDisposeScope(); // (B, T, C)
    }
}
