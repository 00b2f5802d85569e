// Every case of ../shared/testdata/orpo_golden.json (TRL's own numbers on fixed logits): float64 within 1e-9 of
// `expected`, float32 within 1e-5 of `expected_float32`, and d loss / d logits of case `basic`.
using System.Text.Json;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Orpo;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Orpo;

public sealed class OrpoGoldenTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.SharedTestData, "orpo_golden.json"))).RootElement;

    public static TheoryData<string, double> Cases()
    {
        var data = new TheoryData<string, double>();
        foreach (var c in Golden.GetProperty("cases").EnumerateArray())
            foreach (var beta in Golden.GetProperty("betas").EnumerateArray())
                data.Add(c.GetProperty("name").GetString()!, beta.GetDouble());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64_loss_and_metrics_match_TRL_within_1e_9(string name, double beta)
    {
        var c = Case(name);
        var output = OrpoLoss.Compute(Logits(c, ScalarType.Float64), Batch(c), beta);
        AssertMatches(c.GetProperty("expected"), output, beta, 1e-9, checkLogOdds: true);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32_loss_and_metrics_match_TRL_float32_within_1e_5(string name, double beta)
    {
        var c = Case(name);
        var output = OrpoLoss.Compute(Logits(c, ScalarType.Float32), Batch(c), beta);
        Assert.Equal(ScalarType.Float32, output.Loss.dtype);
        // near_certain_chosen: float32 logps ~ -2e-5 carry ~3e-7 error, which moves log odds by ~1e-2 (the file says to
        // test log odds of that case in float64, done above).
        AssertMatches(c.GetProperty("expected_float32"), output, beta, 1e-5, checkLogOdds: name != "near_certain_chosen");
    }

    [Fact]
    public void Gradient_of_loss_with_respect_to_logits_matches_TRL_in_float64()
    {
        var c = Case("basic");
        var logits = Logits(c, ScalarType.Float64).requires_grad_();
        var output = OrpoLoss.Compute(logits, Batch(c), 0.1);
        output.Loss.backward();
        var expected = Nested(c.GetProperty("expected").GetProperty("grad_logits_beta0.1"), e => e.GetDouble());
        var actual = logits.grad!.data<double>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        var worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second));
        Assert.True(worst < 1e-9, $"max |grad - TRL grad| = {worst}");
    }

    [Fact]
    public void Log1mexp_is_finite_and_accurate_near_zero_in_float32()
    {
        var x = tensor(new[] { -1e-6f, -0.5f, -1f, -30f });
        var y = OrpoLoss.Log1mexp(x).data<float>().ToArray();
        double[] exact = [Math.Log(1e-6 - 5e-13), Math.Log(1 - Math.Exp(-0.5)), Math.Log(1 - Math.Exp(-1)), -Math.Exp(-30)];
        for (var i = 0; i < y.Length; i++)
            Assert.True(Math.Abs(y[i] - exact[i]) <= 1e-6 * Math.Max(1, Math.Abs(exact[i])), $"x[{i}]: {y[i]} vs {exact[i]}");
    }

    private static void AssertMatches(JsonElement expected, OrpoLossOutput lossOutput, double beta, double tol, bool checkLogOdds)
    {
        var output = lossOutput.Stats.ToHost();
        using var metrics = new OrpoMetrics(beta);
        metrics.Add(lossOutput.Stats);
        var actual = metrics.ToDictionary();
        var perBeta = expected.GetProperty("per_beta").GetProperty(beta.ToString("0.0#", System.Globalization.CultureInfo.InvariantCulture));

        Near(expected.GetProperty("chosen_logps"), output.ChosenLogps, tol, "chosen_logps");
        Near(expected.GetProperty("rejected_logps"), output.RejectedLogps, tol, "rejected_logps");
        Near(expected.GetProperty("nll_loss").GetDouble(), actual["nll_loss"], tol, "nll_loss");
        Assert.Equal(expected.GetProperty("nll_token_count").GetInt64(), output.NllTokens);
        foreach (var m in perBeta.GetProperty("metrics").EnumerateObject())
        {
            if (!checkLogOdds && m.Name.StartsWith("log_odds", StringComparison.Ordinal)) continue;
            Assert.True(actual.ContainsKey(m.Name), $"metric {m.Name} missing");
            Near(m.Value.GetDouble(), actual[m.Name], tol, m.Name);
        }
        if (!checkLogOdds) return;
        Near(perBeta.GetProperty("log_odds"), output.LogOdds, tol, "log_odds");
        Near(perBeta.GetProperty("loss").GetDouble(), lossOutput.Loss.to_type(ScalarType.Float64).item<double>(), tol, "loss");
        Near(perBeta.GetProperty("loss").GetDouble(), actual["loss"], tol, "loss (metrics)");
    }

    private static void Near(JsonElement expected, double[] actual, double tol, string what)
    {
        var e = expected.EnumerateArray().Select(x => x.GetDouble()).ToArray();
        Assert.Equal(e.Length, actual.Length);
        for (var i = 0; i < e.Length; i++) Near(e[i], actual[i], tol, $"{what}[{i}]");
    }

    private static void Near(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol, $"{what}: expected {expected:R}, got {actual:R} (|diff| {Math.Abs(expected - actual):E2} > {tol})");

    private static JsonElement Case(string name) =>
        Golden.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    // Parsed straight from the JSON text: double for the float64 path, float for the float32 path.
    private static Tensor Logits(JsonElement c, ScalarType dtype)
    {
        long b2 = 2 * Golden.GetProperty("B").GetInt64(), t = Golden.GetProperty("T").GetInt64(), v = Golden.GetProperty("V").GetInt64();
        var logits = c.GetProperty("logits");
        return dtype == ScalarType.Float64
            ? tensor(Nested(logits, e => e.GetDouble()), [b2, t, v])
            : tensor(Nested(logits, e => e.GetSingle()), [b2, t, v]);
    }

    private static OrpoBatch Batch(JsonElement c) => new(Ids(c, "input_ids"), Ids(c, "attention_mask"), Ids(c, "labels"));

    private static Tensor Ids(JsonElement c, string key)
    {
        var rows = c.GetProperty(key);
        var flat = Nested(rows, e => e.GetInt64());
        return tensor(flat, [rows.GetArrayLength(), flat.Length / rows.GetArrayLength()]);
    }

    private static T[] Nested<T>(JsonElement e, Func<JsonElement, T> leaf) =>
        e.ValueKind == JsonValueKind.Array ? e.EnumerateArray().SelectMany(x => Nested(x, leaf)).ToArray() : [leaf(e)];
}
