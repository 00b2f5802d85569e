// Accumulates ORPO results over any number of batches and reports them under TRL's metric names, as if all pairs had
// been one batch: nll_loss is the token mean over all chosen tokens, everything else a mean over pairs.
namespace Pipeline.Training.Orpo;

public sealed class OrpoMetrics(double beta)
{
    private readonly List<double> _chosen = [], _rejected = [], _logOdds = [], _ratio = [];
    private double _nllSum, _chosenLogits, _rejectedLogits;
    private long _nllTokens, _logitsCount;

    public int Pairs => _chosen.Count;
    public long NllTokens => _nllTokens;

    public void Add(OrpoLossOutput o)
    {
        _chosen.AddRange(o.ChosenLogps);
        _rejected.AddRange(o.RejectedLogps);
        _logOdds.AddRange(o.LogOdds);
        _ratio.AddRange(o.LogSigmoidLogOdds);
        _nllSum += o.NllSum;
        _nllTokens += o.NllTokens;
        _chosenLogits += o.ChosenLogitsSum;
        _rejectedLogits += o.RejectedLogitsSum;
        _logitsCount += o.LogitsCountPerHalf;
    }

    public double NllLoss => _nllSum / _nllTokens;

    /// <summary>nll - beta * mean(logsigmoid(log_odds)): TRL's loss over everything added.</summary>
    public double Loss => NllLoss - beta * _ratio.Average();

    /// <summary>TRL names (`rewards/chosen`, ...), with <paramref name="prefix"/> ("eval_") prepended.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary(string prefix = "", bool includeLogits = true)
    {
        if (Pairs == 0) throw new InvalidOperationException("No pairs were evaluated.");
        var correct = _chosen.Zip(_rejected).Count(p => beta * p.First > beta * p.Second);
        var metrics = new Dictionary<string, double>
        {
            [prefix + "loss"] = Loss,
            [prefix + "rewards/chosen"] = beta * _chosen.Average(),
            [prefix + "rewards/rejected"] = beta * _rejected.Average(),
            // TRL takes this mean in float32 (1/3 -> 0.3333333432674408).
            [prefix + "rewards/accuracies"] = (float)correct / Pairs,
            [prefix + "rewards/margins"] = _chosen.Zip(_rejected).Average(p => beta * p.First - beta * p.Second),
            [prefix + "logps/chosen"] = _chosen.Average(),
            [prefix + "logps/rejected"] = _rejected.Average(),
            [prefix + "nll_loss"] = NllLoss,
            [prefix + "log_odds_ratio"] = _ratio.Average(),
            [prefix + "log_odds_chosen"] = _logOdds.Average(),
        };
        if (includeLogits)
        {
            metrics[prefix + "logits/chosen"] = _chosenLogits / _logitsCount;
            metrics[prefix + "logits/rejected"] = _rejectedLogits / _logitsCount;
        }
        return metrics;
    }
}
