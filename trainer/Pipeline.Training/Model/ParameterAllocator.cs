// Creates a model's parameters uninitialised, in one dtype on one device: weights loaded from a checkpoint are read
// straight into them and a random init writes them once, so no float32 copy or throw-away init is ever made.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

internal sealed record ParameterAllocator(ScalarType Dtype, Device Device)
{
    public static ParameterAllocator Float32Cpu { get; } = new(ScalarType.Float32, CPU);

    public Parameter Empty(params long[] shape) => new(empty(shape, Dtype, Device));

    public Parameter Ones(long size) => new(ones(size, Dtype, Device));

    /// <summary>nn.Linear without its Kaiming init (the weights are about to be written).</summary>
    public Linear Linear(long inFeatures, long outFeatures, bool hasBias) =>
        nn.Linear(Empty(outFeatures, inFeatures), hasBias ? Empty(outFeatures) : null);

    /// <summary>An uninitialised (V, C) embedding table.</summary>
    public TokenEmbedding Embedding(long vocab, long hidden) => new(Empty(vocab, hidden));
}
