// The data order of an epoch: a pure function of (seed, epoch) that any process computes the same way.
using Pipeline.Training.Data;

namespace Pipeline.Training.Tests.Data;

public sealed class LengthGroupedBatchesTests
{
    [Fact]
    public void SplitMix64_gives_the_reference_sequence_for_seed_zero()
    {
        // The published outputs of SplitMix64 from state 0 (Vigna's splitmix64.c, java.util.SplittableRandom).
        var generator = new SplitMix64(0);

        Assert.Equal([0xE220A8397B1DCDAFUL, 0x6E789E6AA1B965F4UL, 0x06C45D188009454FUL], new[] { generator.Next(), generator.Next(), generator.Next() });
    }

    [Fact]
    public void An_epoch_order_is_a_permutation_fixed_by_seed_and_epoch()
    {
        var lengths = Enumerable.Range(0, 37).Select(i => 10 + i % 7).ToArray();

        var first = Flat(LengthGroupedBatches.ForEpoch(lengths, 4, seed: 42, epoch: 0, groupByLength: false));
        var again = Flat(LengthGroupedBatches.ForEpoch(lengths, 4, seed: 42, epoch: 0, groupByLength: false));
        var nextEpoch = Flat(LengthGroupedBatches.ForEpoch(lengths, 4, seed: 42, epoch: 1, groupByLength: false));
        var otherSeed = Flat(LengthGroupedBatches.ForEpoch(lengths, 4, seed: 43, epoch: 0, groupByLength: false));

        Assert.Equal(Enumerable.Range(0, 37), first.Order());
        Assert.Equal(first, again);
        Assert.NotEqual(first, nextEpoch);
        Assert.NotEqual(first, otherSeed);
        Assert.NotEqual(Enumerable.Range(0, 37), first);
    }

    [Fact]
    public void Group_by_length_sorts_each_mega_batch_longest_first()
    {
        var lengths = Enumerable.Range(0, 30).Select(i => (i * 7) % 11).ToArray();

        var batches = LengthGroupedBatches.ForEpoch(lengths, 2, seed: 1, epoch: 0, groupByLength: true);

        var order = Flat(batches);
        Assert.Equal(order.Select(i => lengths[i]).OrderByDescending(l => l), order.Select(i => lengths[i]));
        Assert.All(batches, b => Assert.Equal(2, b.Length));
    }

    private static int[] Flat(List<int[]> batches) => [.. batches.SelectMany(b => b)];
}
