// Logits in chunks give the loss and gradients of whole logits: on TRL's golden logits (an identity lm_head, so the
// hidden states are the logits) in float64 and float32, and through the tiny Llama model end to end.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Model;
using Pipeline.Training.Orpo;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Orpo;

public sealed class ChunkedTokenLogpsTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.SharedTestData, "orpo_golden.json"))).RootElement;

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
            data.Add(c.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Chunked_loss_and_logit_gradients_equal_whole_logits_on_the_golden_cases(string name)
    {
        using var scope = NewDisposeScope();
        var c = Golden.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        foreach (var dtype in new[] { ScalarType.Float64, ScalarType.Float32 })
        {
            var batch = new OrpoBatch(Ids(c, "input_ids"), Ids(c, "attention_mask"), Ids(c, "labels"));
            var logits = Logits(c).to_type(dtype);                                  // (2B, T, V)

            // Whole: one log_softmax over the logits, autograd to the logits.
            var whole = logits.clone().requires_grad_(true);
            var wholeOut = OrpoLoss.Compute(whole, batch, 0.1);
            wholeOut.Loss.backward();

            // Chunked: 5 positions at a time (N = 2B (T-1) = 66 is not a multiple), the logits as hidden states.
            var (loss, grad, stats) = ChunkedLossAndGradient(h => h, logits, batch, chunkTokens: 5);

            var tol = dtype == ScalarType.Float64 ? 1e-12 : 2e-6;
            Near(wholeOut.Loss.to_type(ScalarType.Float64).item<double>(), loss, tol, $"{name} {dtype} loss");
            var gradDiff = (grad - whole.grad!).abs().max().to_type(ScalarType.Float64).item<double>();
            Assert.True(gradDiff <= tol, $"{name} {dtype}: max |d loss / d logits difference| {gradDiff:E2}");
            var (a, b) = (wholeOut.Stats.ToHost(), stats.ToHost());
            Near(a.NllSum, b.NllSum, tol * 100, "nll sum");
            Near(a.ChosenLogitsSum, b.ChosenLogitsSum, tol * 1000, "chosen logits sum");
            for (var i = 0; i < a.ChosenLogps.Length; i++)
                Near(a.ChosenLogps[i], b.ChosenLogps[i], tol, $"chosen logps[{i}]");
        }
    }

    [Fact]
    public void Chunked_gradient_matches_TRLs_own_gradient_in_float64()
    {
        using var scope = NewDisposeScope();
        var c = Golden.GetProperty("cases").EnumerateArray().Single(x => x.GetProperty("name").GetString() == "basic");
        var batch = new OrpoBatch(Ids(c, "input_ids"), Ids(c, "attention_mask"), Ids(c, "labels"));
        var (_, grad, _) = ChunkedLossAndGradient(h => h, Logits(c), batch, chunkTokens: 4);
        var expected = tensor(Flatten(c.GetProperty("expected").GetProperty("grad_logits_beta0.1")), grad.shape);
        var worst = (grad - expected).abs().max().item<double>();
        Assert.True(worst < 1e-9, $"max |grad - TRL grad| = {worst}");
    }

    [Theory]
    [InlineData(7)]    // 7 positions per chunk: logits recomputed chunk by chunk in the backward
    [InlineData(null)] // the default budget holds them all: one chunk, its graph kept
    public void Tiny_llama_loss_and_every_parameter_gradient_equal_the_whole_logits_path(int? positionsPerChunk)
    {
        var data = TokenizedData.From(PreferenceData.Load(Path.Combine(RepoPaths.TinyLlama, "data.jsonl")), TrainingFixture.Tokenizer, 256, OverlongPolicy.Drop);
        using var scope = NewDisposeScope();
        var batch = PairCollator.Collate(data.Pairs, data.PadTokenId);
        var normalizer = new OrpoNormalizer(batch.AttentionMask[..(int)batch.Pairs, 1..].sum().item<long>(), batch.Pairs);

        using var reference = TrainingFixture.Model();
        var whole = OrpoLoss.Compute(reference.forward(batch.InputIds, batch.AttentionMask), batch, 0.1, normalizer);
        whole.Loss.backward();

        using var model = TrainingFixture.Model();
        var vocab = model.Config.VocabSize;
        var chunked = OrpoPass.ForwardBackward(model, batch, 0.1, normalizer, gradientCheckpointing: false,
            chunkBytes: positionsPerChunk is int n ? 4L * vocab * n : null);

        var wholeLoss = whole.Loss.item<float>();
        Assert.True(Math.Abs(wholeLoss - chunked.Loss.item<float>()) <= 2e-6 * Math.Abs(wholeLoss), $"loss {wholeLoss} vs {chunked.Loss.item<float>()}");
        AssertSameGradients(reference, model, relative: 1e-5);
    }

    /// <summary>Every parameter's gradient agrees to float32 noise, relative to that gradient's largest entry.</summary>
    internal static void AssertSameGradients(nn.Module expected, nn.Module actual, double relative)
    {
        var want = expected.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (name, p) in actual.named_parameters())
        {
            Assert.NotNull(p.grad);
            var scale = want[name].grad!.abs().max().item<float>();
            var diff = (p.grad! - want[name].grad!).abs().max().item<float>();
            Assert.True(scale > 0, $"{name} has no gradient");
            Assert.True(diff <= relative * scale, $"{name}: max |grad difference| {diff:E2} at gradient scale {scale:E2}");
        }
    }

    /// <summary>The trainer's three stages by hand for an lm_head given as a function: loss, d loss / d hidden, statistics.</summary>
    private static (double Loss, Tensor Grad, OrpoStats Stats) ChunkedLossAndGradient(Func<Tensor, Tensor> lmHead, Tensor hidden, OrpoBatch batch, long chunkTokens)
    {
        var tokens = ChunkedTokenLogps.Forward(lmHead, hidden, batch.InputIds, chunkTokens);
        var leaf = tokens.Logps.requires_grad_(true);
        var output = OrpoLoss.FromTokenLogps(tokens with { Logps = leaf }, batch, 0.1);
        output.Loss.backward();
        var grad = ChunkedTokenLogps.Backward(lmHead, hidden, batch.InputIds, leaf.grad!, chunkTokens);
        return (output.Loss.to_type(ScalarType.Float64).item<double>(), grad, output.Stats);
    }

    private static Tensor Logits(JsonElement c)
    {
        long b2 = 2 * Golden.GetProperty("B").GetInt64(), t = Golden.GetProperty("T").GetInt64(), v = Golden.GetProperty("V").GetInt64();
        return tensor(Flatten(c.GetProperty("logits")), [b2, t, v]);
    }

    private static Tensor Ids(JsonElement c, string key)
    {
        var rows = c.GetProperty(key);
        var flat = Flatten(rows).Select(x => (long)x).ToArray();
        return tensor(flat, [rows.GetArrayLength(), flat.Length / rows.GetArrayLength()]);
    }

    private static double[] Flatten(JsonElement e) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(Flatten).ToArray() : [e.GetDouble()];

    private static void Near(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: {expected:R} vs {actual:R}");
}
