// Evaluation of tiny-llama on its data.jsonl against expected_eval.json (an independent float64 modeling_llama + TRL
// tokenisation and ORPO evaluation, beta 0.1, whole file as one batch): ids, prompt lengths, logps and every metric.
using System.Text.Json;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Data;
using Pipeline.Training.Orpo;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Evaluation;

public sealed class OrpoEvaluatorTests
{
    private static readonly JsonElement Expected =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "expected_eval.json"))).RootElement;

    [Fact]
    public void Tokenizes_pairs_as_TRL_does_with_BOS_and_EOS_and_prompt_lengths()
    {
        var tokenizer = HfTokenizer.Load(RepoPaths.TinyLlama);
        var rows = PreferenceData.Load(Path.Combine(RepoPaths.TinyLlama, "data.jsonl"));
        var data = TokenizedData.From(rows, tokenizer, 1024, OverlongPolicy.Drop);

        var pairs = Expected.GetProperty("pairs").EnumerateArray().ToArray();
        Assert.Equal(pairs.Length, data.Pairs.Count);
        for (var i = 0; i < pairs.Length; i++)
        {
            Assert.Equal(Ints(pairs[i], "chosen_input_ids"), data.Pairs[i].ChosenIds);
            Assert.Equal(Ints(pairs[i], "rejected_input_ids"), data.Pairs[i].RejectedIds);
            Assert.Equal(pairs[i].GetProperty("chosen_prompt_len").GetInt32(), data.Pairs[i].ChosenPromptLength);
            Assert.Equal(pairs[i].GetProperty("rejected_prompt_len").GetInt32(), data.Pairs[i].RejectedPromptLength);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(6)]
    public void Eval_metrics_match_the_float64_reference_whatever_the_batch_size(int batchSize)
    {
        var result = OrpoEvaluator.EvaluateFile(RepoPaths.TinyLlama, Path.Combine(RepoPaths.TinyLlama, "data.jsonl"), beta: 0.1, batchSize: batchSize);

        var metrics = Expected.GetProperty("metrics");
        // The reference's metrics, plus TRL's eval_logits/* (their batch-dependent value: PaddedLogitsTests).
        Assert.Equal(metrics.EnumerateObject().Select(m => m.Name).Concat(["eval_logits/chosen", "eval_logits/rejected"]).Order(),
            result.Metrics.Keys.Order());
        foreach (var m in metrics.EnumerateObject())
            Near(m.Value.GetDouble(), result.Metrics[m.Name], 2e-5, m.Name);
        Assert.Equal(Expected.GetProperty("nll_token_count").GetInt64(), result.NllTokens);
        var pairs = Expected.GetProperty("pairs").EnumerateArray().ToArray();
        for (var i = 0; i < pairs.Length; i++)
        {
            Near(pairs[i].GetProperty("chosen_logps").GetDouble(), result.PerPair[i].ChosenLogps, 2e-5, $"chosen_logps[{i}]");
            Near(pairs[i].GetProperty("rejected_logps").GetDouble(), result.PerPair[i].RejectedLogps, 2e-5, $"rejected_logps[{i}]");
            Near(pairs[i].GetProperty("log_odds").GetDouble(), result.PerPair[i].LogOdds, 2e-4, $"log_odds[{i}]");
        }
    }

    [Fact]
    public void Drops_over_long_pairs_and_counts_them_under_the_drop_policy()
    {
        // Pairs 2 and 3 are 82 and 76 tokens long.
        var result = OrpoEvaluator.EvaluateFile(RepoPaths.TinyLlama, Path.Combine(RepoPaths.TinyLlama, "data.jsonl"), beta: 0.1, maxLength: 70,
            overlong: OverlongPolicy.Drop);
        Assert.Equal(2, result.PairsDropped);
        Assert.Equal(4, result.Pairs);
        Assert.Equal([1, 4, 5, 6], result.PerPair.Select(p => p.Line));
    }

    [Fact]
    public void Evaluates_every_pair_by_default_cutting_the_long_ones_and_counting_them()
    {
        var cut = TokenizedData.From(PreferenceData.Load(Path.Combine(RepoPaths.TinyLlama, "data.jsonl")), TrainingFixture.Tokenizer, 70, OverlongPolicy.Truncate);

        var result = OrpoEvaluator.EvaluateFile(RepoPaths.TinyLlama, Path.Combine(RepoPaths.TinyLlama, "data.jsonl"), beta: 0.1, maxLength: 70);

        Assert.Equal((6, 0), (result.Pairs, result.PairsDropped));
        Assert.Equal((2, cut.TruncatedTokens), (result.PairsTruncated, result.TokensTruncated));
    }

    [Fact]
    public void Truncates_the_prompt_from_the_left_and_never_the_completion()
    {
        var tokenizer = HfTokenizer.Load(RepoPaths.TinyLlama);
        var rows = PreferenceData.Load(Path.Combine(RepoPaths.TinyLlama, "data.jsonl"));
        var whole = TokenizedData.From(rows, tokenizer, 1024, OverlongPolicy.Drop);
        var cut = TokenizedData.From(rows, tokenizer, 70, OverlongPolicy.TruncatePrompt);

        Assert.Equal(6, cut.Pairs.Count);
        for (var i = 0; i < 6; i++)
        {
            var (w, c) = (whole.Pairs[i], cut.Pairs[i]);
            Assert.True(c.Length <= 70);
            Assert.Equal(tokenizer.BosTokenId, c.ChosenIds[0]);
            Assert.Equal(w.ChosenIds[w.ChosenPromptLength..], c.ChosenIds[c.ChosenPromptLength..]);
            Assert.Equal(w.RejectedIds[w.RejectedPromptLength..], c.RejectedIds[c.RejectedPromptLength..]);
            // What is left of the prompt after BOS is its end.
            Assert.Equal(w.ChosenIds[(w.ChosenPromptLength - c.ChosenPromptLength + 1)..w.ChosenPromptLength], c.ChosenIds[1..c.ChosenPromptLength]);
        }
        // Pair 2's chosen completion is 48 tokens: with max_length 45 no prompt cut can save it, so it is dropped.
        var tooLong = TokenizedData.From(rows, tokenizer, 45, OverlongPolicy.TruncatePrompt);
        Assert.Contains(tooLong.Dropped, d => d.Line == 2 && d.Reason.Contains("completion alone", StringComparison.Ordinal));
    }

    private static int[] Ints(JsonElement e, string key) => [.. e.GetProperty(key).EnumerateArray().Select(x => x.GetInt32())];

    private static void Near(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:R}, got {actual:R}");
}
