// Gradient checkpointing (transformers' gradient_checkpointing, torch.utils.checkpoint per decoder layer): the forward
// runs without a graph and keeps only each layer's input (B, T, C); the backward recomputes one layer at a time with a
// graph and back-propagates through it, so activations of one layer are alive at once instead of all of them.
// The torch CPU RNG state is replayed for each recomputed layer, so dropout (a LoRA adapter's) draws the same masks.
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class CheckpointedDecoder : IDisposable
{
    private readonly CausalLm _model;
    private readonly Tensor _inputIds;
    private readonly LayerContext _context;
    private readonly List<Tensor> _inputs = [];   // input of layer i, then the input of the final norm; (B, T, C) each
    private readonly List<Tensor> _rngStates = []; // torch CPU RNG state before layer i

    /// <summary>Final hidden states (B, T, C), computed without a graph.</summary>
    public Tensor Hidden { get; }

    private CheckpointedDecoder(CausalLm model, Tensor inputIds, Tensor? attentionMask)
    {
        _model = model;
        _inputIds = inputIds;
        var decoder = model.Backbone;
        using var noGrad = no_grad();
        var x = decoder.Embed(inputIds);                                          // (B, T, C)
        _context = decoder.Prepare(inputIds, attentionMask, 0, x.dtype);
        for (var i = 0; i < decoder.Layers.Count; i++)
        {
            _rngStates.Add(random.get_rng_state());
            _inputs.Add(x);
            x = decoder.Layers[i].forward(x, _context.Rope, _context.Mask);
        }
        _inputs.Add(x);
        Hidden = decoder.Norm.forward(x);
    }

    /// <summary>inputIds, attentionMask (B, T) as for <see cref="CausalLm.Hidden"/>.</summary>
    public static CheckpointedDecoder Forward(CausalLm model, Tensor inputIds, Tensor? attentionMask) => new(model, inputIds, attentionMask);

    /// <summary>Back-propagates d loss / d hidden (B, T, C) into every parameter that trains; layer inputs are freed as it goes.</summary>
    public void Backward(Tensor gradHidden)
    {
        var decoder = _model.Backbone;
        var g = Recompute(decoder.Norm.forward, _inputs[^1], gradHidden, rngState: null);
        for (var i = decoder.Layers.Count - 1; i >= 0; i--)
        {
            var layer = decoder.Layers[i];
            var next = Recompute(x => layer.forward(x, _context.Rope, _context.Mask), _inputs[i], g, _rngStates[i]);
            g.Dispose();
            g = next;
            _inputs[i + 1].Dispose();
        }
        if (decoder.EmbeddingWeight.requires_grad)
        {
            using var scope = NewDisposeScope();
            using var grad = enable_grad();
            autograd.backward(decoder.Embed(_inputIds), g);
        }
        g.Dispose();
    }

    /// <summary>Runs <paramref name="f"/> again on a leaf copy of its input, with a graph, and returns d loss / d input.</summary>
    private static Tensor Recompute(Func<Tensor, Tensor> f, Tensor input, Tensor gradOutput, Tensor? rngState)
    {
        using var scope = NewDisposeScope();
        var after = rngState is null ? null : random.get_rng_state();
        if (rngState is not null)
            random.set_rng_state(rngState);
        var x = input.detach().requires_grad_(true);
        using (enable_grad())
            autograd.backward(f(x), gradOutput);
        if (after is not null)
            random.set_rng_state(after);
        return x.grad!.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var t in _inputs.Concat(_rngStates))
            t.Dispose();
        Hidden.Dispose();
        _context.Rope.Dispose();
        _context.Mask?.Dispose();
    }
}
