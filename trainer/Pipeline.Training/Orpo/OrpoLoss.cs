// ORPO loss (Hong, Lee, Thorne 2024, eq. 6-7: L = L_SFT + beta * L_OR, L_OR = -log sigmoid(log odds_c / odds_r)) with
// TRL ORPOTrainer semantics: NLL over the chosen half INCLUDING prompt tokens (only padding masked), per-sequence AVERAGE
// completion log-probs, log_odds = (c - r) - (log1mexp(c) - log1mexp(r)), loss = nll - beta * mean(logsigmoid(log_odds)).
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Orpo;

/// <summary>One concatenated batch: rows 0..B-1 chosen, rows B..2B-1 rejected, right padded. All (2B, T) int64.</summary>
public sealed record OrpoBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels)
{
    public long Pairs => InputIds.shape[0] / 2;
}

/// <summary>
/// What a step is normalised by. TRL uses the micro-batch's own counts; the trainer passes the totals of the whole
/// optimizer step so that batch 8 x accumulation 1 equals batch 1 x accumulation 8 (see OrpoTrainer).
/// </summary>
public sealed record OrpoNormalizer(double NllTokens, double Pairs);

/// <summary>Loss (differentiable) plus detached per-pair values and sums from which every TRL metric is built.</summary>
public sealed record OrpoLossOutput(
    Tensor Loss,            // () differentiable, float32 or float64
    double NllSum,          // sum of chosen-token cross entropies in this batch
    long NllTokens,         // number of chosen targets (attention_mask[:,1:] == 1)
    double[] ChosenLogps,   // (B) average completion log-prob
    double[] RejectedLogps, // (B)
    double[] LogOdds,       // (B)
    double[] LogSigmoidLogOdds, // (B)
    double ChosenLogitsSum, double RejectedLogitsSum, long LogitsCountPerHalf);

public static class OrpoLoss
{
    public const long IgnoreIndex = -100;

    /// <summary>
    /// logits (2B, T, V) of any float dtype; computed in float32 (float64 when the logits are float64).
    /// With <paramref name="normalizer"/> null the result is TRL's loss for this batch alone.
    /// </summary>
    public static OrpoLossOutput Compute(Tensor logits, OrpoBatch batch, double beta, OrpoNormalizer? normalizer = null)
    {
        using var scope = NewDisposeScope();
        var dtype = logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var x = logits.to_type(dtype);                                       // (2B, T, V), no copy when already float32
        long b = batch.Pairs, rows = x.shape[0], t = x.shape[1];

        // One log_softmax over the whole contiguous logits: slicing off the last position first would copy (2B, T-1, V)
        // into log_softmax and allocate and copy it again in the slice's backward. Position i predicts token i+1; the
        // last position predicts nothing (token 0 stands in) and its column is dropped from the (2B, T) log-probs.
        var logp = nn.functional.log_softmax(x, dim: -1);                                        // (2B, T, V)
        var next = cat([batch.InputIds[.., 1..], zeros(rows, 1, ScalarType.Int64, x.device)], 1); // (2B, T)
        var tokenLogp = logp.gather(-1, next.unsqueeze(-1)).squeeze(-1)[.., ..^1];                // (2B, T-1)

        // NLL: chosen half, every real target token (prompt included), padding masked by attention_mask.
        var nllMask = batch.AttentionMask[..(int)b, 1..].to_type(dtype);     // (B, T-1)
        var nllSum = -(tokenLogp[..(int)b] * nllMask).sum();
        var nllTokens = (long)Scalar(nllMask.sum());

        // Completion log-probs: average over labels != -100 (prompt and padding ignored).
        var labels = batch.Labels[.., 1..];
        var compMask = labels.ne(IgnoreIndex).to_type(dtype);                 // (2B, T-1)
        var avgLogp = (tokenLogp * compMask).sum(-1) / compMask.sum(-1);      // (2B)
        var chosen = avgLogp[..(int)b];
        var rejected = avgLogp[(int)b..];

        var logOdds = (chosen - rejected) - (Log1mexp(chosen) - Log1mexp(rejected)); // (B)
        var ratio = nn.functional.logsigmoid(logOdds);                                 // (B)

        var nllDen = normalizer?.NllTokens ?? nllTokens;
        var pairDen = normalizer?.Pairs ?? b;
        var loss = nllSum / nllDen - beta * ratio.sum() / pairDen;

        // logits/* sums: one pass over the (2B, T-1, V) view, in the loss dtype (no float64 pass over the logits).
        var rowSums = x.detach().narrow(1, 0, t - 1).sum([1, 2]);                                 // (2B)
        var output = new OrpoLossOutput(
            loss.MoveToOuterDisposeScope(),
            Scalar(nllSum), nllTokens,
            ToArray(chosen), ToArray(rejected), ToArray(logOdds), ToArray(ratio),
            Scalar(rowSums[..(int)b].sum()), Scalar(rowSums[(int)b..].sum()),
            b * (t - 1) * x.shape[2]);
        return output;
    }

    /// <summary>log(1 - exp(x)) for x &lt; 0, stable on both sides of -ln 2 (Maechler 2012).</summary>
    /// Each branch sees a harmless stand-in where it is not selected, so no NaN leaks into the gradient.
    public static Tensor Log1mexp(Tensor x)
    {
        var near = x.gt(-Math.Log(2));
        var stand = full_like(x, -1.0);
        var a = (-where(near, x, stand).expm1()).log();
        var b = (-where(near, stand, x).exp()).log1p();
        return where(near, a, b);
    }

    // Sync points: these copy detached values to the host for metrics.
    private static double Scalar(Tensor t) => t.detach().to_type(ScalarType.Float64).item<double>();

    private static double[] ToArray(Tensor t) =>
        t.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
}
