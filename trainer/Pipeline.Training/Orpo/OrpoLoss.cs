// ORPO loss (Hong, Lee, Thorne 2024, eq. 6-7: L = L_SFT + beta * L_OR, L_OR = -log sigmoid(log odds_c / odds_r)) with
// TRL ORPOTrainer semantics: NLL over the chosen half INCLUDING prompt tokens (only padding masked), per-sequence AVERAGE
// completion log-probs, log_odds = (c - r) - (log1mexp(c) - log1mexp(r)), loss = nll - beta * mean(logsigmoid(log_odds)).
// It needs only the log-prob of each next token (TokenLogps), so the logits can be produced whole or in chunks.
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

/// <summary>
/// Logps (2B, T-1): log p(token i+1 | tokens ..i) at each position i, float32 (float64 for float64 logits), possibly
/// differentiable. RowLogitSums (2B): each row's logits summed over those positions and the vocabulary, detached, for
/// TRL's logits/* metrics. Vocab: V.
/// </summary>
public sealed record TokenLogps(Tensor Logps, Tensor RowLogitSums, long Vocab);

/// <summary>The differentiable loss plus its statistics, still on the device (reading them is a host sync).</summary>
public sealed record OrpoLossOutput(Tensor Loss, OrpoStats Stats);

/// <summary>
/// Detached, float64, on the loss's device. Sums (4): NLL sum over chosen tokens, their count, logits sums of the chosen
/// and of the rejected half. PerPair (4, B): average completion log-prob chosen, rejected, log odds, logsigmoid(log odds).
/// </summary>
public sealed record OrpoStats(Tensor Sums, Tensor PerPair, long LogitsCountPerHalf)
{
    /// <summary>Copies the statistics to the host. Sync point: outside the training step only (evaluation, tests).</summary>
    public OrpoHostStats ToHost() => OrpoHostStats.From(Sums, PerPair, LogitsCountPerHalf);
}

/// <summary>The statistics of one or more batches on the host, from which every TRL metric is built.</summary>
public sealed record OrpoHostStats(
    double NllSum,          // sum of chosen-token cross entropies
    long NllTokens,         // number of chosen targets (attention_mask[:,1:] == 1)
    double[] ChosenLogps,   // (B) average completion log-prob
    double[] RejectedLogps, // (B)
    double[] LogOdds,       // (B)
    double[] LogSigmoidLogOdds, // (B)
    double ChosenLogitsSum, double RejectedLogitsSum, long LogitsCountPerHalf)
{
    /// <summary>sums (N, 4) or (4); perPair (4, B): one copy to the host for any number of batches.</summary>
    internal static OrpoHostStats From(Tensor sums, Tensor perPair, long logitsCountPerHalf)
    {
        using var scope = NewDisposeScope();
        var s = sums.view(-1, 4).sum([0]).cpu().data<double>().ToArray();                // (4)
        var p = perPair.cpu().contiguous().data<double>().ToArray();                   // (4, B) row-major
        var b = p.Length / 4;
        double[] Row(int i) => p[(i * b)..((i + 1) * b)];
        return new OrpoHostStats(s[0], (long)Math.Round(s[1]), Row(0), Row(1), Row(2), Row(3), s[2], s[3], logitsCountPerHalf);
    }
}

public static class OrpoLoss
{
    public const long IgnoreIndex = -100;

    /// <summary>
    /// logits (2B, T, V) of any float dtype, held whole; computed in float32 (float64 when the logits are float64).
    /// With <paramref name="normalizer"/> null the result is TRL's loss for this batch alone.
    /// </summary>
    public static OrpoLossOutput Compute(Tensor logits, OrpoBatch batch, double beta, OrpoNormalizer? normalizer = null)
    {
        using var scope = NewDisposeScope();
        var output = FromTokenLogps(TokenLogpsFromLogits(logits, batch), batch, beta, normalizer);
        return MoveOut(output);
    }

    /// <summary>
    /// log p(next token) from whole logits: one log_softmax over the contiguous logits (slicing off the last position
    /// first would copy (2B, T-1, V) into log_softmax and again in the slice's backward). Position i predicts token i+1;
    /// the last position predicts nothing (token 0 stands in) and its column is dropped.
    /// </summary>
    public static TokenLogps TokenLogpsFromLogits(Tensor logits, OrpoBatch batch)
    {
        using var scope = NewDisposeScope();
        var dtype = logits.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;
        var x = logits.to_type(dtype);                                                           // (2B, T, V), no copy when already float32
        long rows = x.shape[0], t = x.shape[1];
        var logp = nn.functional.log_softmax(x, dim: -1);                                        // (2B, T, V)
        var next = cat([batch.InputIds[.., 1..], zeros(rows, 1, ScalarType.Int64, x.device)], 1); // (2B, T)
        var tokenLogp = logp.gather(-1, next.unsqueeze(-1)).squeeze(-1)[.., ..^1];                // (2B, T-1)
        // logits/* sums: one pass over the (2B, T-1, V) view, in the loss dtype (no float64 pass over the logits).
        var rowSums = x.detach().narrow(1, 0, t - 1).sum([1, 2]);                                 // (2B)
        return new TokenLogps(tokenLogp.MoveToOuterDisposeScope(), rowSums.MoveToOuterDisposeScope(), x.shape[2]);
    }

    /// <summary>The loss and its statistics from next-token log-probs (differentiable through <see cref="TokenLogps.Logps"/>).</summary>
    public static OrpoLossOutput FromTokenLogps(TokenLogps tokens, OrpoBatch batch, double beta, OrpoNormalizer? normalizer = null)
    {
        using var scope = NewDisposeScope();
        var tokenLogp = tokens.Logps;                                         // (2B, T-1)
        var dtype = tokenLogp.dtype;
        long b = batch.Pairs, t = batch.InputIds.shape[1];

        // NLL: chosen half, every real target token (prompt included), padding masked by attention_mask.
        var nllMask = batch.AttentionMask[..(int)b, 1..].to_type(dtype);     // (B, T-1)
        var nllSum = -(tokenLogp[..(int)b] * nllMask).sum();
        var nllTokens = nllMask.sum();

        // Completion log-probs: average over labels != -100 (prompt and padding ignored).
        var labels = batch.Labels[.., 1..];
        var compMask = labels.ne(IgnoreIndex).to_type(dtype);                 // (2B, T-1)
        var avgLogp = (tokenLogp * compMask).sum(-1) / compMask.sum(-1);      // (2B)
        var chosen = avgLogp[..(int)b];
        var rejected = avgLogp[(int)b..];

        var logOdds = (chosen - rejected) - (Log1mexp(chosen) - Log1mexp(rejected)); // (B)
        var ratio = nn.functional.logsigmoid(logOdds);                                 // (B)

        var loss = normalizer is null
            ? nllSum / nllTokens - beta * ratio.sum() / b
            : nllSum / normalizer.NllTokens - beta * ratio.sum() / normalizer.Pairs;

        var rowSums = tokens.RowLogitSums;                                     // (2B)
        var sums = stack([nllSum, nllTokens, rowSums[..(int)b].sum().to_type(dtype), rowSums[(int)b..].sum().to_type(dtype)])
            .detach().to_type(ScalarType.Float64);                             // (4)
        var perPair = stack([chosen, rejected, logOdds, ratio]).detach().to_type(ScalarType.Float64); // (4, B)
        return MoveOut(new OrpoLossOutput(loss, new OrpoStats(sums, perPair, b * (t - 1) * tokens.Vocab)));
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

    private static OrpoLossOutput MoveOut(OrpoLossOutput o)
    {
        o.Loss.MoveToOuterDisposeScope();
        o.Stats.Sums.MoveToOuterDisposeScope();
        o.Stats.PerPair.MoveToOuterDisposeScope();
        return o;
    }
}
