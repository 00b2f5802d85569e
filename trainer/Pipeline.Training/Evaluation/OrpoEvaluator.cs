// ORPO evaluation over a whole file as if it were one batch: eval_nll_loss is the token mean over every chosen token,
// the other metrics are means over pairs, eval_loss = eval_nll_loss - beta * mean(logsigmoid(log_odds)); the batch size
// changes none of these. eval_logits/* are TRL's: batches of the batch size in file order (its sequential eval loader),
// each batch's mean logit over every position (padding included), averaged over the batches.
using Pipeline.Shared.Tokenization;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Evaluation;

/// <summary>Per-pair results, in file order.</summary>
public sealed record PairEval(int Line, double ChosenLogps, double RejectedLogps, double LogOdds);

public sealed record EvalMetrics(
    IReadOnlyDictionary<string, double> Metrics,
    int Pairs,
    int PairsDropped,
    long NllTokens,
    IReadOnlyList<PairEval> PerPair)
{
    /// <summary>Evaluated pairs that truncation cut to max_length, and the ids they lost (EvaluateFile only).</summary>
    public int PairsTruncated { get; init; }
    public long TokensTruncated { get; init; }
}

public static class OrpoEvaluator
{
    /// <summary>Evaluates tokenized pairs with <paramref name="model"/> in eval mode, without gradients.</summary>
    public static EvalMetrics Evaluate(
        CausalLm model, IReadOnlyList<TokenizedPair> pairs, double beta, int batchSize,
        int padTokenId, Device? device = null, IReadOnlyList<int>? lines = null, int dropped = 0)
    {
        if (pairs.Count == 0) throw new InvalidDataException("No pairs to evaluate (all were dropped or the file is empty).");
        var wasTraining = model.training;
        model.eval();
        using var metrics = new OrpoMetrics(beta);
        var perPair = new PairEval[pairs.Count];
        // File order, as TRL's sequential eval loader batches them: eval_logits/* depend on which pairs share a batch.
        var order = Enumerable.Range(0, pairs.Count).ToArray();
        using (no_grad())
        {
            foreach (var chunk in order.Chunk(batchSize))
            {
                using var scope = NewDisposeScope();
                var batch = PairCollator.Collate([.. chunk.Select(i => pairs[i])], padTokenId, device);
                var output = OrpoPass.Evaluate(model, batch, beta).Stats.ToHost(); // logits in chunks, never whole
                metrics.Add(output);
                for (var k = 0; k < chunk.Length; k++)
                    perPair[chunk[k]] = new PairEval(lines?[chunk[k]] ?? chunk[k] + 1, output.ChosenLogps[k], output.RejectedLogps[k], output.LogOdds[k]);
            }
        }
        if (wasTraining) model.train();
        return new EvalMetrics(metrics.ToDictionary("eval_"), pairs.Count, dropped, metrics.NllTokens, perPair);
    }

    /// <summary>Loads a model (Hugging Face folder, checkpoint or adapter) and a preference file and evaluates every pair
    /// kept by <paramref name="overlong"/> (null: cut to fit, as training does by default).</summary>
    public static EvalMetrics EvaluateFile(
        string modelDir, string dataPath, double beta, int maxLength = 1024, int batchSize = 8,
        OverlongPolicy? overlong = null, string device = "cpu")
    {
        TrainedModel.RefuseLegacy(modelDir);
        var tokenizer = HfTokenizer.Load(modelDir);
        var rows = PreferenceData.Load(PreferenceData.Resolve(dataPath, "eval"), PreferenceData.ChatFor(tokenizer));
        var data = TokenizedData.From(rows, tokenizer, maxLength, overlong ?? OverlongPolicy.Truncate);
        var dev = torch.device(device);
        using var model = TrainedModel.Load(modelDir, dev); // a model folder, a checkpoint-{N}/ or a PEFT adapter
        return Evaluate(model, data.Pairs, beta, batchSize, data.PadTokenId, dev, data.Lines, data.Dropped.Count)
            with { PairsTruncated = data.TruncatedPairs, TokensTruncated = data.TruncatedTokens };
    }
}
