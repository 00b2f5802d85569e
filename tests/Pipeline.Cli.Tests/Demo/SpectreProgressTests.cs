// What the demo prints: in a log file (output redirected) plain text within 80 columns, ids and paths never split; the
// summary names datasets, versions with before -> after metrics and on-policy rates, gate decisions with reasons,
// latest, and the target page's path last; training lines show step / total, loss and ETA once per tenth of a run.
using Pipeline.Cli.Demo;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Targets;
using Pipeline.Worker.Reports;

namespace Pipeline.Cli.Tests.Demo;

public sealed class SpectreProgressTests
{
    private static (SpectreProgress Screen, StringWriter Text) Log()
    {
        var text = new StringWriter();
        return (new SpectreProgress(SpectreProgress.CreateConsole(text, redirected: true)), text);
    }

    private static DemoVersion Version(string name, string? parent, string dataset, double accBefore, double accAfter, double onBefore, double onAfter, GateDecision gate) =>
        new(name, parent, [dataset], 72,
            new Dictionary<string, double> { [GateDecision.AccuracyMetric] = accBefore, [GateDecision.LossMetric] = 0.957 },
            new Dictionary<string, double> { [GateDecision.AccuracyMetric] = accAfter, [GateDecision.LossMetric] = 0.745 },
            new PolicyRate((int)Math.Round(onBefore * 96), 96, new Dictionary<string, int>()), new PolicyRate((int)Math.Round(onAfter * 96), 96, new Dictionary<string, int>()),
            gate, $"models/support-agent/{name}/eval/report.html", $"/tmp/demo/reports/support-agent/{name}/eval/report.html");

    private static DemoResult Result()
    {
        var passed = new GateDecision { Passed = true, Reason = "first version of the target", Tolerances = GateTolerances.Default };
        var refused = new GateDecision
        {
            Passed = false, ComparedWith = "v0002", Tolerances = GateTolerances.Default,
            Reason = "eval_rewards/accuracies 0.6528 is 0.0972 below v0002's 0.7500 (tolerance 0.0200)",
        };
        var page = new TargetIndex { Target = "support-agent", Latest = "v0002", Versions = [], UpdatedAt = DateTimeOffset.UnixEpoch };
        return new DemoResult("support-agent", "Azurite started on 127.0.0.1:41921 (blobs) / 39773 (queues), data in /tmp/demo/azurite", "fresh run",
            [
                new DemoDataset("support-agent-1.jsonl", "ds-0123456789abcdef", "req-1", 240, 0, 216, 24, "datasets/support-agent/ds-0123456789abcdef/report.json"),
                new DemoDataset("support-agent-3.jsonl", "ds-fedcba9876543210", "req-3", 240, 0, 216, 24, "datasets/support-agent/ds-fedcba9876543210/report.json"),
            ],
            [
                Version("v0001", null, "ds-0123456789abcdef", 0.917, 1.0, 0.45, 0.9, passed),
                Version("v0003", "v0002", "ds-fedcba9876543210", 0.75, 0.653, 0.81, 0.01, refused),
            ],
            new LatestPointer { Target = "support-agent", Version = "v0002", RunId = "run-2", Metrics = new Dictionary<string, double>(), UpdatedAt = DateTimeOffset.UnixEpoch },
            page, "models/support-agent/index.html", "/tmp/demo/reports/support-agent/index.html", TimeSpan.FromSeconds(182));
    }

    [Fact]
    public void Summary_in_a_log_shows_datasets_versions_rates_gate_reasons_and_the_target_page_last_within_80_columns()
    {
        var (screen, text) = Log();

        screen.Summary(Result());

        var output = text.ToString();
        var lines = output.TrimEnd().Split('\n');
        Assert.DoesNotContain('\u001b', output);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"wider than 80 columns: '{l}'"));
        Assert.Contains(lines, l => l.Contains("support-agent-1.jsonl") && l.Contains("ds-0123456789abcdef") && l.Contains("216 / 24"));
        Assert.Contains(lines, l => l.Contains("v0001") && l.Contains("0.92->1.00") && l.Contains("45%->90%") && l.Contains("passed"));
        Assert.True(lines.Any(l => l.Contains("v0003") && l.Contains("file 2") && l.Contains("0.75->0.65") && l.Contains("81%->1%") && l.Contains("refused")), output);
        // The reason reads as prose: wrapped at word boundaries, every word whole.
        var reason = string.Join(" ", lines.SkipWhile(l => !l.StartsWith("v0003  gate refused", StringComparison.Ordinal)).Take(3).Select(l => l.Trim()));
        Assert.Contains("gate refused: eval_rewards/accuracies 0.6528 is 0.0972 below v0002's 0.7500 (tolerance 0.0200); latest stayed v0002", reason);
        Assert.Contains(lines, l => l.Contains("report /tmp/demo/reports/support-agent/v0003/eval/report.html"));
        Assert.Contains(lines, l => l.StartsWith("latest: v0002", StringComparison.Ordinal));
        Assert.Equal("target page: /tmp/demo/reports/support-agent/index.html", lines[^1].TrimEnd());
    }

    [Fact]
    public void Notes_wrap_at_word_boundaries_under_their_stage_and_never_split_an_id()
    {
        var (screen, text) = Log();
        const string id = "ds-0123456789abcdef";

        screen.Stage("File 1 of 3: support-agent-1.jsonl");
        screen.Note($"ingested (Accepted): dataset {id}, 216 train / 24 eval rows, 0 rejected; request req-0123456789abcdef0123 queued");

        var lines = text.ToString().TrimEnd().Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Contains("1. File 1 of 3: support-agent-1.jsonl", lines);
        Assert.All(lines, l => Assert.True(l.Length <= 80, $"wider than 80 columns: '{l}'"));
        Assert.All(lines.Skip(2), l => Assert.StartsWith("   ", l));
        Assert.Contains(lines, l => l.Contains(id));
        Assert.Contains(lines, l => l.Contains("req-0123456789abcdef0123"));
    }

    [Fact]
    public void Training_prints_the_run_once_then_a_line_per_tenth_with_step_loss_and_eta()
    {
        var (screen, text) = Log();

        for (var step = 1; step <= 40; step++)
            screen.Training(new DemoTrainingState("run-81a658160473c0eb", "training", step, 40, 8.5603, TimeSpan.FromSeconds(176)));

        var lines = text.ToString().TrimEnd().Split('\n');
        Assert.Single(lines, l => l.Contains("run-81a658160473c0eb"));
        Assert.Equal(12, lines.Length); // the run, then steps 1, 4, 8, ..., 36, 40
        Assert.Contains(lines, l => l.Contains(" 20/40  loss 8.5603  ETA 02:56"));
    }
}
