// Batch order for one epoch, a pure function of (seed, epoch) in any process (SplitMix64): shuffled, and with
// group_by_length pairs of similar length share a batch (transformers' LengthGroupedSampler: mega-batches of 50
// batches, each sorted longest first).
namespace Pipeline.Training.Data;

public static class LengthGroupedBatches
{
    public const int MegaBatchFactor = 50;

    public static List<int[]> ForEpoch(IReadOnlyList<int> lengths, int batchSize, int seed, int epoch, bool groupByLength)
    {
        var order = Enumerable.Range(0, lengths.Count).ToArray();
        SplitMix64.For(seed, epoch).Shuffle(order.AsSpan());
        if (groupByLength)
        {
            var mega = batchSize * MegaBatchFactor;
            for (var start = 0; start < order.Length; start += mega)
            {
                var n = Math.Min(mega, order.Length - start);
                // Stable sort, longest first, within each mega-batch.
                var sorted = order.AsSpan(start, n).ToArray().OrderByDescending(i => lengths[i]).ToArray();
                sorted.CopyTo(order, start);
            }
        }
        return [.. order.Chunk(batchSize)];
    }
}
