// Logits and log-probs against independent float64 references of Hugging Face modeling_llama / modeling_qwen2 / modeling_qwen3.
using System.Text.Json;
using Pipeline.Training.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Model;

public sealed class ParityTests
{
    [Fact]
    public void Tiny_llama_completion_log_probs_match_the_float64_reference()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var expected = JsonDocument.Parse(File.ReadAllText(Path.Combine(ModelFixtures.TinyLlama, "expected_eval.json"))).RootElement;
        var checkedTokens = 0;
        foreach (var pair in expected.GetProperty("pairs").EnumerateArray())
        {
            foreach (var side in new[] { "chosen", "rejected" })
            {
                var ids = pair.GetProperty($"{side}_input_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                var promptLen = pair.GetProperty($"{side}_prompt_len").GetInt32();
                var want = pair.GetProperty($"{side}_token_logps").EnumerateArray().Select(e => e.GetDouble()).ToArray();

                var wantSum = pair.GetProperty($"{side}_logps_sum").GetDouble();

                var logits = model.forward(tensor(ids).unsqueeze(0), null);                    // (1, T, V)
                var logps = logits.log_softmax(-1)[0];                                         // (T, V)
                // want[i] = log p(ids[i + 1] | ids[..i]) for every position; the completion is the last T - promptLen.
                Assert.Equal(ids.Length - 1, want.Length);
                var completionSum = 0.0;
                for (var i = 0; i < want.Length; i++)
                {
                    var got = logps[i, ids[i + 1]].item<float>();
                    Assert.True(Math.Abs(got - want[i]) < 2e-5, $"{side} token {i + 1}: {got} vs {want[i]}");
                    if (i + 1 >= promptLen)
                        completionSum += got;
                    checkedTokens++;
                }
                Assert.True(Math.Abs(completionSum - wantSum) < 1e-3, $"{side} completion sum {completionSum} vs {wantSum}");
            }
        }
        Assert.True(checkedTokens > 300, $"only {checkedTokens} tokens checked");
    }

    [Fact]
    public void Gqa_qkv_bias_tied_llama3_rope_variant_matches_float64_logits()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyVariant, CPU);
        var expected = LoadVariantExpectation();
        Assert.True(model.Config.TieWordEmbeddings && model.Config.QkvBias && model.Config.HeadSize * 4 != model.Config.HiddenSize);
        for (var s = 0; s < expected.Inputs.Length; s++)
        {
            var logits = model.forward(tensor(expected.Inputs[s]).unsqueeze(0), null)[0]; // (T, V)
            var want = tensor(expected.Logits[s].SelectMany(row => row).ToArray()).view(logits.shape); // (T, V) float64
            var maxDiff = (logits.to_type(ScalarType.Float64) - want).abs().max().item<double>();
            Assert.True(maxDiff < 1e-4, $"sequence {s}: max |logit diff| {maxDiff}");
        }
    }

    [Fact]
    public void Qwen3_variant_with_q_and_k_norms_matches_float64_logits()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyQwen3, CPU);
        var expected = LoadVariantExpectation(ModelFixtures.TinyQwen3);
        Assert.True(model.Config.QkNorm && !model.Config.QkvBias && !model.Config.TieWordEmbeddings);
        Assert.Contains("model.layers.1.self_attn.k_norm.weight", model.state_dict().Keys);
        for (var s = 0; s < expected.Inputs.Length; s++)
        {
            var logits = model.forward(tensor(expected.Inputs[s]).unsqueeze(0), null)[0]; // (T, V)
            var want = tensor(expected.Logits[s].SelectMany(row => row).ToArray()).view(logits.shape); // (T, V) float64
            var maxDiff = (logits.to_type(ScalarType.Float64) - want).abs().max().item<double>();
            Assert.True(maxDiff < 1e-4, $"sequence {s}: max |logit diff| {maxDiff}");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Padding_does_not_change_the_logits_of_real_tokens(bool leftPadding)
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyVariant, CPU);
        var inputs = LoadVariantExpectation().Inputs;
        var width = inputs.Max(x => x.Length) + 2;
        var ids = zeros([inputs.Length, width], ScalarType.Int64);
        var mask = zeros([inputs.Length, width], ScalarType.Int64);
        for (var s = 0; s < inputs.Length; s++)
        {
            var start = leftPadding ? width - inputs[s].Length : 0;
            ids[s].narrow(0, start, inputs[s].Length).copy_(tensor(inputs[s]));
            mask[s].narrow(0, start, inputs[s].Length).fill_(1);
        }

        var padded = model.forward(ids, mask); // (B, W, V)
        for (var s = 0; s < inputs.Length; s++)
        {
            var alone = model.forward(tensor(inputs[s]).unsqueeze(0), null)[0];        // (T, V)
            var start = leftPadding ? width - inputs[s].Length : 0;
            var real = padded[s].narrow(0, start, inputs[s].Length);                    // (T, V)
            Assert.False(real.isnan().any().item<bool>());
            var maxDiff = (real - alone).abs().max().item<float>();
            Assert.True(maxDiff < 1e-4, $"sequence {s}: padding changed real logits by {maxDiff}");
        }
    }

    internal sealed record VariantExpectation(long[][] Inputs, double[][][] Logits);

    internal static VariantExpectation LoadVariantExpectation(string? folder = null)
    {
        var root = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder ?? ModelFixtures.TinyVariant, "expected_logits.json"))).RootElement;
        return new VariantExpectation(
            root.GetProperty("input_ids").Deserialize<long[][]>()!,
            root.GetProperty("logits").Deserialize<double[][][]>()!);
    }
}
