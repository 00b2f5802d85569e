// The three forms of a version's evaluation report: JSON (the contract), Markdown (a repository or terminal) and HTML
// (a person deciding whether to trust the version: gate numbers, on-policy rate, curves, held-out pairs, samples).
using System.Text.Json;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;
using Pipeline.Testing;
using Pipeline.Worker.Reports;

namespace Pipeline.Worker.Tests.Reports;

public sealed class ReportFilesTests
{
    internal static EvaluationReport Sample(bool passed) => new()
    {
        Target = "agent", Version = "v0002", RunId = "run-1", RequestId = "req-1", DatasetIds = ["ds-a"], BaseModel = "base-models/tiny",
        ParentVersion = "v0001", EvalPairs = 6,
        HeldOutSources = [new HeldOutSource("ds-a", 4, HeldOutOrigin.ThisRun), new HeldOutSource("ds-0", 2, "v0001")],
        MetricsBefore = new Dictionary<string, double> { ["eval_loss"] = 2.5, ["eval_rewards/accuracies"] = 0.5 },
        MetricsAfter = new Dictionary<string, double> { ["eval_loss"] = 1.25, ["eval_rewards/accuracies"] = 0.875 },
        LatestVersion = "v0001",
        MetricsLatest = new Dictionary<string, double> { ["eval_loss"] = 1.5, ["eval_rewards/accuracies"] = 0.75 },
        Gate = passed
            ? GateDecision.Evaluate(new Dictionary<string, double> { ["eval_loss"] = 1.25, ["eval_rewards/accuracies"] = 0.875 },
                new LatestPointer { Target = "agent", Version = "v0001", RunId = "run-0", Metrics = new Dictionary<string, double> { ["eval_loss"] = 1.5, ["eval_rewards/accuracies"] = 0.75 }, UpdatedAt = DateTimeOffset.UnixEpoch },
                GateTolerances.Default)
            : new GateDecision
            {
                Passed = false, Reason = "eval_loss 9 is 7.5 above v0001's 1.5", ComparedWith = "v0001", Tolerances = GateTolerances.Default,
                CandidateAccuracy = 0.5, LatestAccuracy = 0.75, CandidateLoss = 9, LatestLoss = 1.5,
            },
        History = Enumerable.Range(1, 5).Select(s => new HistoryPoint(s, s % 2 == 0
            ? new Dictionary<string, double> { ["eval_loss"] = 2.0 / s, ["eval_rewards/accuracies"] = 0.6 + s / 20.0 }
            : new Dictionary<string, double> { ["loss"] = 3.0 / s, ["rewards/accuracies"] = 0.5 + s / 10.0, ["peak_memory_bytes"] = (1L << 30) * (1 + s / 4.0) })).ToList(),
        HeldOut =
        [
            new HeldOutPair("ds-a", "Where is <my> order?", "It shipped.", "Not my problem.", -2.0, -1.0, -0.5, -3.0),
            new HeldOutPair("ds-0", "Refund?", "Started.", "Never.", -0.5, -3.0, -2.0, -1.0),
        ],
        Samples = [new SampleGeneration("How do I reset <my> password?", "no idea", "Open Settings & choose Reset.", new AnswerMark(false, "garbled"), new AnswerMark(true, "on policy"))],
        Policy = new PolicyReport("test rule", 6, 2, 1.0, 0.9,
            new PolicyRate(5, 12, new Dictionary<string, int> { ["on policy"] = 5, ["rude"] = 7 }),
            new PolicyRate(11, 12, new Dictionary<string, int> { ["on policy"] = 11, ["rude"] = 1 }),
            [new SampleGeneration("Where is my order?", "Not my problem.", "It shipped.", new AnswerMark(false, "rude"), new AnswerMark(true, "on policy"))]),
        CreatedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z"),
    };

    [Fact]
    public async Task Writes_json_markdown_and_html_with_metrics_before_after_and_latest()
    {
        using var dir = new TempDir("report-files-");
        var folder = dir.Path;

        await ReportFiles.WriteAsync(Sample(passed: true), folder, CancellationToken.None);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")));
        Assert.Equal(0.875, json.RootElement.GetProperty("metrics_after").GetProperty("eval_rewards/accuracies").GetDouble());
        Assert.Equal("v0001", json.RootElement.GetProperty("latest_version").GetString());
        Assert.True(json.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());
        Assert.Equal(11.0 / 12, json.RootElement.GetProperty("policy").GetProperty("after").GetProperty("rate").GetDouble(), 9);
        Assert.Equal(-3.0, json.RootElement.GetProperty("held_out")[0].GetProperty("rejected_logps_after").GetDouble());
        var md = await File.ReadAllTextAsync(Path.Combine(folder, "report.md"));
        Assert.Contains("| eval_rewards/accuracies | 0.5 | 0.875 | 0.75 |", md);
        Assert.Contains("**Gate: passed**", md);
        Assert.Contains("**On-policy rate of sampled answers: 42% → 92%**", md);
        Assert.Contains("6 held-out pairs: 4 of ds-a (this run), 2 of ds-0 (v0001's data).", md);
        Assert.Contains("2 pairs: the model preferred the chosen answer in 1 before and 1 after; 1 flipped to chosen, 1 to rejected.", md);
        Assert.Contains("- after (✓ on policy): Open Settings & choose Reset.", md);
        Assert.Contains("Peak memory of the training run: 2.25 GiB", md); // the largest the trainer logged (step 5)
        Assert.Equal(Sample(true) with { CreatedAt = default }, ContractJson.Deserialize<EvaluationReport>(
            BinaryData.FromString(await File.ReadAllTextAsync(Path.Combine(folder, "report.json"))), "report.json") with { CreatedAt = default },
            new ReportComparer());
    }

    [Fact]
    public async Task Html_report_shows_the_gate_numbers_the_policy_rate_train_and_eval_curves_and_each_held_out_pair()
    {
        using var dir = new TempDir("report-files-");
        var folder = dir.Path;

        await ReportFiles.WriteAsync(Sample(passed: false), folder, CancellationToken.None);

        var html = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));
        Assert.Equal(2, html.Split("<svg").Length - 1); // loss and reward accuracy: no margins were logged
        Assert.Contains("Gate: refused — latest stays v0001", html);
        Assert.Contains("<td class=\"n\">+7.500</td>", html);              // the loss rise the gate saw
        Assert.Contains("42% → 92%", html);
        Assert.Contains("held-out pairs", html);                          // the eval series' legend
        Assert.Contains("Where is &lt;my&gt; order?", html);
        Assert.Contains("flipped to chosen", html);
        Assert.Contains("flipped to rejected", html);
        Assert.Contains("✗ garbled", html);
        Assert.Contains("eval_loss 9 is 7.5 above v0001&#39;s 1.5.", html);
        Assert.Contains("Peak memory of the training run: 2.25 GiB", html);
    }

    [Fact]
    public void No_curve_is_drawn_for_a_metric_that_was_never_logged()
    {
        Assert.Null(ReportCharts.TrainAndEval(Sample(true).History, new Dictionary<string, double>(), "grad_norm", "Gradient norm", unitInterval: false));
    }

    // Records holding lists and dictionaries compare by reference: compare what they hold, as JSON.
    private sealed class ReportComparer : IEqualityComparer<EvaluationReport>
    {
        public bool Equals(EvaluationReport? x, EvaluationReport? y) => ContractJson.Serialize(x).ToString() == ContractJson.Serialize(y).ToString();
        public int GetHashCode(EvaluationReport obj) => 0;
    }
}
