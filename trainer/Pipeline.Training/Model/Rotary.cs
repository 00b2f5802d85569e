// Rotary position embeddings (RoPE) with Hugging Face's rotate_half layout and `rope_scaling` types linear and llama3
// (transformers modeling_rope_utils: _compute_default / _compute_linear / _compute_llama3_parameters).
using static TorchSharp.torch;

namespace Pipeline.Training.Model;

public sealed class Rotary
{
    private readonly float[] invFreq; // (hs/2) radians per position, kept in float32 whatever the model's dtype

    public Rotary(LlamaConfig config)
    {
        var dim = config.HeadSize;
        var freq = new double[dim / 2];
        for (var i = 0; i < freq.Length; i++)
            freq[i] = 1.0 / Math.Pow(config.RopeTheta, 2.0 * i / dim);
        var scaling = config.RopeScaling;
        if (scaling?.Kind == "linear")
            freq = freq.Select(f => f / scaling.Factor).ToArray();
        if (scaling?.Kind == "llama3")
            freq = freq.Select(f => Llama3(f, scaling)).ToArray();
        // HF builds inv_freq in float32 from an int64 arange, so round the same way.
        invFreq = freq.Select(f => (float)f).ToArray();
    }

    /// <summary>Llama 3.1: keep high frequencies, divide low ones by factor, blend smoothly in between.</summary>
    private static double Llama3(double f, RopeScaling s)
    {
        var oldContext = (double)s.OriginalMaxPositionEmbeddings;
        var lowFreqWavelen = oldContext / s.LowFreqFactor;
        var highFreqWavelen = oldContext / s.HighFreqFactor;
        var wavelen = 2 * Math.PI / f;
        if (wavelen < highFreqWavelen) return f;
        if (wavelen > lowFreqWavelen) return f / s.Factor;
        var smooth = (oldContext / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * f / s.Factor + smooth * f;
    }

    /// <summary>cos and sin for each position, (B, 1, T, hs) in <paramref name="dtype"/>.</summary>
    public RopeAngles Angles(Tensor positions, ScalarType dtype) // positions (B, T) int64
    {
        using var scope = NewDisposeScope();
        var inv = tensor(invFreq, device: positions.device);                           // (hs/2)
        var freqs = positions.to_type(ScalarType.Float32).unsqueeze(-1) * inv;         // (B, T, hs/2)
        var emb = cat([freqs, freqs], -1).unsqueeze(1);                                // (B, 1, T, hs)
        return new RopeAngles(emb.cos().to_type(dtype).MoveToOuterDisposeScope(), emb.sin().to_type(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>x * cos + rotate_half(x) * sin, with rotate_half(x) = cat(-x2, x1).</summary>
    public static Tensor Apply(Tensor x, RopeAngles angles) // x (B, nh, T, hs)
    {
        var (cos, sin) = (angles.Cos, angles.Sin);
        using var scope = NewDisposeScope();
        var half = x.shape[^1] / 2;
        var x1 = x.narrow(-1, 0, half);
        var x2 = x.narrow(-1, half, half);
        var rotated = cat([-x2, x1], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }
}

/// <summary>Rotary cos and sin, each (B, 1, T, hs); disposing releases both.</summary>
public sealed record RopeAngles(Tensor Cos, Tensor Sin) : IDisposable
{
    public void Dispose()
    {
        Cos.Dispose();
        Sin.Dispose();
    }
}
