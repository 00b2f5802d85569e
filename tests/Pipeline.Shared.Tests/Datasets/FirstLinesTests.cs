// The open-addressing duplicate index must answer exactly as a dictionary of first lines would, across growth.
using Pipeline.Shared.Datasets;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class FirstLinesTests
{
    [Fact]
    public void Remembers_the_first_line_of_every_hash_through_many_resizes()
    {
        // 50,000 lines drawn from 20,000 hashes: the table grows from 1,024 slots and must keep every first line.
        var rng = new Random(7);
        var hashes = Enumerable.Range(0, 20_000).Select(_ => new UInt128((ulong)rng.NextInt64(), (ulong)rng.NextInt64())).ToArray();
        var index = new FirstLines();
        var expected = new Dictionary<UInt128, long>();
        for (long line = 1; line <= 50_000; line++)
        {
            var hash = hashes[rng.Next(hashes.Length)];
            long? want = expected.TryGetValue(hash, out var first) ? first : null;
            if (want is null) expected[hash] = line;
            Assert.Equal(want, index.FirstOrAdd(hash, line));
        }
        Assert.Equal(expected.Count, index.Count);
    }

    [Fact]
    public void Tells_apart_hashes_that_share_their_low_bits()
    {
        // Same low 64 bits (same slot), different high bits: both are kept, and line 0 is a line like any other.
        var index = new FirstLines();
        Assert.Null(index.FirstOrAdd(new UInt128(1, 42), 0));
        Assert.Null(index.FirstOrAdd(new UInt128(2, 42), 5));
        Assert.Equal(0, index.FirstOrAdd(new UInt128(1, 42), 9));
        Assert.Equal(5, index.FirstOrAdd(new UInt128(2, 42), 9));
    }
}
