// What the demo prints: the summary names datasets, versions with before -> after metrics, gate reasons, latest and
// the report copies; training lines show step / total, loss and ETA.
using Pipeline.Cli.Demo;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Spectre.Console;

namespace Pipeline.Cli.Tests.Demo;

public sealed class SpectreProgressTests
{
    private static (SpectreProgress Screen, StringWriter Text) Screen()
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(text),
        });
        console.Profile.Width = 160;
        return (new SpectreProgress(console), text);
    }

    [Fact]
    public void Summary_shows_datasets_versions_metrics_gate_latest_and_report_copies()
    {
        var (screen, text) = Screen();
        var gate = new GateDecision { Passed = false, Reason = "eval_loss 7.0000 is 0.3000 above v0001's 6.7000", Tolerances = GateTolerances.Default };
        var result = new DemoResult("support-agent", "Azurite", "fresh run",
            [new DemoDataset("support-agent-1.jsonl", "ds-0123456789abcdef", "req-1", 240, 0, 223, 17, "datasets/support-agent/ds-0123456789abcdef/report.json")],
            [new DemoVersion("v0002", "v0001", ["ds-0123456789abcdef"],
                new Dictionary<string, double> { [GateDecision.AccuracyMetric] = 0.75, [GateDecision.LossMetric] = 6.7 },
                new Dictionary<string, double> { [GateDecision.AccuracyMetric] = 1.0, [GateDecision.LossMetric] = 7.0 },
                gate, "models/support-agent/v0002/eval/report.html", "/tmp/support-agent-v0002.html")],
            null, TimeSpan.FromSeconds(42));

        screen.Summary(result);

        var output = text.ToString();
        Assert.Contains("ds-0123456789abcdef", output);
        Assert.Contains("223 / 17", output);
        Assert.Contains("0.750 -> 1.000", output);
        Assert.Contains("6.700 -> 7.000", output);
        Assert.Contains("held back", output);
        Assert.Contains("gate v0002: eval_loss 7.0000 is 0.3000 above v0001's 6.7000", output);
        Assert.Contains("/tmp/support-agent-v0002.html", output);
        Assert.Contains("latest: none", output);
    }

    [Fact]
    public void Training_line_shows_step_of_total_loss_and_eta_and_repeats_nothing()
    {
        var (screen, text) = Screen();
        var state = new DemoTrainingState("run-81a658160473c0eb", "training", 18, 40, 8.5603, TimeSpan.FromSeconds(176));

        screen.Training(state);
        screen.Training(state);

        var output = text.ToString();
        Assert.Contains("18/40  loss 8.5603  ETA 02:56", output);
        Assert.Single(output.Split('\n'), l => l.Contains("18/40"));
    }
}
