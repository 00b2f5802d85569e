// SplitMix64 (Steele, Lea and Flood 2014, as in java.util.SplittableRandom): a small 64-bit generator whose sequence
// depends on its seed alone, so it is the same in every process and .NET version. HashCode is randomised per process
// and System.Random's algorithm is an implementation detail: neither may decide the data order of a run.
namespace Pipeline.Training.Data;

public struct SplitMix64(ulong seed)
{
    private ulong _state = seed;

    /// <summary>A generator for one (seed, stream) pair, e.g. (the config's seed, the epoch).</summary>
    public static SplitMix64 For(int seed, int stream) => new(((ulong)(uint)seed << 32) | (uint)stream);

    public ulong Next()
    {
        var z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, <paramref name="n"/>): Lemire's multiply-shift with rejection, so no value is favoured.</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var bound = (ulong)n;
        var threshold = (0UL - bound) % bound;
        while (true)
        {
            var product = Math.BigMul(Next(), bound, out var low);
            if (low >= threshold) return (int)product;
        }
    }

    /// <summary>Fisher-Yates shuffle in place.</summary>
    public void Shuffle<T>(Span<T> items)
    {
        for (var i = items.Length - 1; i > 0; i--)
        {
            var j = NextInt(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}
