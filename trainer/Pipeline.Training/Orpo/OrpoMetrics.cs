// Accumulates ORPO results over any number of batches and reports them under TRL's metric names, as if all pairs had
// been one batch: nll_loss is the token mean over all chosen tokens, everything else a mean over pairs, except logits/*:
// TRL's mean over each batch's logits (padding included), averaged over the batches as TRL averages stored metrics.
// Statistics added on the device stay there until the metrics are read: one copy to the host per logging step.
using static TorchSharp.torch;

namespace Pipeline.Training.Orpo;

public sealed class OrpoMetrics(double beta) : IDisposable
{
    private readonly List<double> _chosen = [], _rejected = [], _logOdds = [], _ratio = [];
    private readonly List<double> _chosenLogits = [], _rejectedLogits = []; // per batch: mean logit of each half
    private readonly List<OrpoStats> _pending = []; // on the device, owned here
    private double _nllSum;
    private long _nllTokens;

    public int Pairs => Flushed()._chosen.Count;
    public long NllTokens => Flushed()._nllTokens;

    /// <summary>Keeps device statistics for later (no host sync); takes them out of the caller's dispose scope.</summary>
    public void Add(OrpoStats stats)
    {
        stats.Sums.DetachFromDisposeScope();
        stats.PerPair.DetachFromDisposeScope();
        _pending.Add(stats);
    }

    /// <summary>Takes over everything <paramref name="other"/> holds (its device statistics without reading them).</summary>
    public void Add(OrpoMetrics other)
    {
        _pending.AddRange(other._pending);
        other._pending.Clear();
        if (other._chosen.Count > 0)
            AddPairs(new OrpoHostStats(other._nllSum, other._nllTokens, [.. other._chosen], [.. other._rejected], [.. other._logOdds],
                [.. other._ratio], 0, 0, 0));
        _chosenLogits.AddRange(other._chosenLogits);
        _rejectedLogits.AddRange(other._rejectedLogits);
        other.Clear();
    }

    /// <summary>Forgets everything added (a new logging window).</summary>
    public void Clear()
    {
        Dispose();
        _chosen.Clear();
        _rejected.Clear();
        _logOdds.Clear();
        _ratio.Clear();
        _chosenLogits.Clear();
        _rejectedLogits.Clear();
        (_nllSum, _nllTokens) = (0, 0);
    }

    /// <summary>One batch's statistics on the host.</summary>
    public void Add(OrpoHostStats o)
    {
        AddPairs(o);
        _chosenLogits.Add(o.ChosenLogitsSum / o.LogitsCountPerHalf);
        _rejectedLogits.Add(o.RejectedLogitsSum / o.LogitsCountPerHalf);
    }

    private void AddPairs(OrpoHostStats o)
    {
        _chosen.AddRange(o.ChosenLogps);
        _rejected.AddRange(o.RejectedLogps);
        _logOdds.AddRange(o.LogOdds);
        _ratio.AddRange(o.LogSigmoidLogOdds);
        _nllSum += o.NllSum;
        _nllTokens += o.NllTokens;
    }

    public double NllLoss => Flushed()._nllSum / _nllTokens;

    /// <summary>nll - beta * mean(logsigmoid(log_odds)): TRL's loss over everything added.</summary>
    public double Loss => NllLoss - beta * _ratio.Average();

    /// <summary>TRL names (`rewards/chosen`, ...), with <paramref name="prefix"/> ("eval_") prepended. Reads pending device statistics.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary(string prefix = "")
    {
        Flushed();
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
            [prefix + "logits/chosen"] = _chosenLogits.Average(),
            [prefix + "logits/rejected"] = _rejectedLogits.Average(),
        };
        return metrics;
    }

    /// <summary>Copies every pending batch's statistics to the host in one transfer (a sync point).</summary>
    private OrpoMetrics Flushed()
    {
        if (_pending.Count == 0)
            return this;
        using (var scope = NewDisposeScope())
        {
            var sums = cat([.. _pending.Select(p => p.Sums.unsqueeze(0))]);  // (N, 4)
            var perPair = cat([.. _pending.Select(p => p.PerPair)], 1);      // (4, sum of B)
            var logits = sums.narrow(1, 2, 2).cpu().contiguous().data<double>().ToArray(); // (N, 2): each batch's logits sums
            AddPairs(OrpoHostStats.From(sums, perPair, 0));
            for (var i = 0; i < _pending.Count; i++)
            {
                _chosenLogits.Add(logits[2 * i] / _pending[i].LogitsCountPerHalf);
                _rejectedLogits.Add(logits[2 * i + 1] / _pending[i].LogitsCountPerHalf);
            }
        }
        Dispose();
        return this;
    }

    public void Dispose()
    {
        foreach (var p in _pending)
        {
            p.Sums.Dispose();
            p.PerPair.Dispose();
        }
        _pending.Clear();
    }
}
