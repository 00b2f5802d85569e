using System.Text.Json;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Worker.Reports;

namespace Pipeline.Worker.Tests.Reports;

public sealed class ReportFilesTests
{
    private static EvaluationReport Sample(bool passed) => new()
    {
        Target = "agent", Version = "v0002", RunId = "run-1", RequestId = "req-1", DatasetIds = ["ds-a"], BaseModel = "base-models/tiny",
        EvalPairs = 6,
        MetricsBefore = new Dictionary<string, double> { ["eval_loss"] = 2.5, ["eval_rewards/accuracies"] = 0.5 },
        MetricsAfter = new Dictionary<string, double> { ["eval_loss"] = 1.25, ["eval_rewards/accuracies"] = 0.875 },
        LatestVersion = "v0001",
        MetricsLatest = new Dictionary<string, double> { ["eval_loss"] = 1.5, ["eval_rewards/accuracies"] = 0.75 },
        Gate = new GateDecision { Passed = passed, Reason = passed ? "within tolerances" : "eval_loss 9 is 7.5 above v0001's 1.5", Tolerances = GateTolerances.Default },
        History = Enumerable.Range(1, 5).Select(s => new HistoryPoint(s, new Dictionary<string, double>
        {
            ["loss"] = 3.0 / s, ["rewards/accuracies"] = 0.5 + s / 10.0, ["peak_memory_bytes"] = (1L << 30) * (1 + s / 4.0),
        })).ToList(),
        Samples = [new SampleGeneration("How do I reset <my> password?", "no idea", "Open Settings & choose Reset.")],
        CreatedAt = DateTimeOffset.Parse("2026-01-02T03:04:05Z"),
    };

    [Fact]
    public async Task Writes_json_markdown_and_html_with_metrics_before_after_and_latest()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;

        await ReportFiles.WriteAsync(Sample(passed: true), folder, CancellationToken.None);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(folder, "report.json")));
        Assert.Equal(0.875, json.RootElement.GetProperty("metrics_after").GetProperty("eval_rewards/accuracies").GetDouble());
        Assert.Equal("v0001", json.RootElement.GetProperty("latest_version").GetString());
        Assert.True(json.RootElement.GetProperty("gate").GetProperty("passed").GetBoolean());
        var md = await File.ReadAllTextAsync(Path.Combine(folder, "report.md"));
        Assert.Contains("| eval_rewards/accuracies | 0.5 | 0.875 | 0.75 |", md);
        Assert.Contains("**Gate: passed**", md);
        Assert.Contains("- after: Open Settings & choose Reset.", md);
        Assert.Contains("Peak memory of the training run: 2.25 GiB", md); // the largest the trainer logged
    }

    [Fact]
    public async Task Html_report_embeds_loss_and_accuracy_curves_as_svg_and_escapes_text()
    {
        var folder = Directory.CreateTempSubdirectory().FullName;

        await ReportFiles.WriteAsync(Sample(passed: false), folder, CancellationToken.None);

        var html = await File.ReadAllTextAsync(Path.Combine(folder, "report.html"));
        Assert.Equal(2, html.Split("<svg").Length - 1);
        Assert.Contains("Training loss", html);
        Assert.Contains("How do I reset &lt;my&gt; password?", html);
        Assert.Contains("Peak memory of the training run: 2.25 GiB", html);
        Assert.Contains("<strong>Gate: rejected</strong> — eval_loss 9 is 7.5 above v0001&#39;s 1.5.", html);
    }

    [Fact]
    public void No_curve_is_drawn_for_a_metric_that_was_never_logged()
    {
        Assert.Null(ReportCharts.Curve(Sample(true).History, "grad_norm", "Gradient norm"));
    }
}
