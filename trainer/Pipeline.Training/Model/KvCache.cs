// Key/value cache for incremental decoding: one preallocated (B, nkv, S_max, hs) buffer pair per layer, filled in place.
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class KvCache : IDisposable
{
    private readonly Tensor[] keys;
    private readonly Tensor[] values;

    /// <summary>Positions already written (the same for every layer once a forward pass completes).</summary>
    public long Length { get; private set; }
    public long Capacity { get; }

    public KvCache(LlamaConfig config, long batch, long capacity, ScalarType dtype, Device device)
    {
        Capacity = capacity;
        keys = new Tensor[config.NumHiddenLayers];
        values = new Tensor[config.NumHiddenLayers];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = zeros([batch, config.KvHeads, capacity, config.HeadSize], dtype, device).DetachFromDisposeScope();
            values[i] = zeros([batch, config.KvHeads, capacity, config.HeadSize], dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>Writes k, v (B, nkv, T, hs) at positions [Length, Length + T) of one layer; returns views of all so far.</summary>
    internal KvPair Append(int layer, Tensor k, Tensor v)
    {
        var t = k.shape[2];
        if (Length + t > Capacity)
            throw new InvalidOperationException($"KV cache is full: {Length} + {t} positions exceed its capacity {Capacity}.");
        using (no_grad())
        {
            keys[layer].narrow(2, Length, t).copy_(k);
            values[layer].narrow(2, Length, t).copy_(v);
        }
        return new KvPair(keys[layer].narrow(2, 0, Length + t), values[layer].narrow(2, 0, Length + t));
    }

    /// <summary>Called by the model once every layer has appended <paramref name="t"/> positions.</summary>
    internal void Advance(long t) => Length += t;

    public void Dispose()
    {
        foreach (var tensor in keys.Concat(values))
            tensor.Dispose();
    }
}

/// <summary>Keys and values (B, nkv, S, hs) for the positions seen so far.</summary>
internal sealed record KvPair(Tensor Keys, Tensor Values);
