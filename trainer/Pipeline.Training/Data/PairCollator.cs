// Pads tokenized pairs into one concatenated batch (chosen rows, then rejected rows; right padding), labels -100 on the
// prompt and padding, as TRL's concatenated_inputs does.
using Pipeline.Training.Orpo;
using static TorchSharp.torch;

namespace Pipeline.Training.Data;

public static class PairCollator
{
    public static OrpoBatch Collate(IReadOnlyList<TokenizedPair> pairs, int padTokenId, Device? device = null)
    {
        int b = pairs.Count, t = pairs.Max(p => p.Length);
        var ids = new long[2 * b * t];
        var mask = new long[2 * b * t];
        var labels = new long[2 * b * t];
        Array.Fill(ids, padTokenId);
        Array.Fill(labels, OrpoLoss.IgnoreIndex);
        for (var i = 0; i < b; i++)
        {
            Fill(i, pairs[i].ChosenIds, pairs[i].ChosenPromptLength);
            Fill(b + i, pairs[i].RejectedIds, pairs[i].RejectedPromptLength);
        }
        long[] shape = [2 * b, t];
        return new OrpoBatch(tensor(ids, shape, device: device), tensor(mask, shape, device: device), tensor(labels, shape, device: device));

        void Fill(int row, int[] seq, int promptLength)
        {
            for (var j = 0; j < seq.Length; j++)
            {
                ids[row * t + j] = seq[j];
                mask[row * t + j] = 1;
                if (j >= promptLength) labels[row * t + j] = seq[j];
            }
        }
    }
}
