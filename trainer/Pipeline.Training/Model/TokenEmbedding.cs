// The token embedding table (Hugging Face nn.Embedding under `embed_tokens`) as a managed module: its weight is an
// ordinary parameter that loading fills in place. (TorchSharp's native Embedding keeps its first weight registered when
// the weight is replaced, so a table made without its random init cannot be had from it.)
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class TokenEmbedding : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight; // (V, C)

    internal TokenEmbedding(Parameter weight) : base(nameof(TokenEmbedding))
    {
        this.weight = weight;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor ids) => // ids (...) int64 -> (..., C)
        weight.index_select(0, ids.reshape(-1)).view([.. ids.shape, weight.shape[1]]);
}
