// The demo's screen: stage headers and notes as lines, the running training run as a live line
// (step / total, loss, ETA), and the closing summary tables. Spectre.Console degrades to plain lines when not a terminal.
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Spectre.Console;

namespace Pipeline.Cli.Demo;

public sealed class SpectreProgress(IAnsiConsole console) : IDemoProgress
{
    private int _stage;
    private string? _lastTraining;

    public void Stage(string title)
    {
        _stage++;
        console.WriteLine();
        console.MarkupLine($"[bold deepskyblue1]{_stage}. {Markup.Escape(title)}[/]");
    }

    public void Note(string message) => console.MarkupLine($"   {Markup.Escape(message)}");

    public void Training(DemoTrainingState s)
    {
        var bar = Bar(s.Step, s.TotalSteps, 20);
        var line = $"   [grey]{Markup.Escape(s.RunId[..Math.Min(12, s.RunId.Length)])}[/] {Markup.Escape(s.Phase)} {bar} {s.Step}/{s.TotalSteps}" +
                   (s.Loss is { } loss ? $"  loss {loss:0.0000}" : "") +
                   (s.Eta is { } eta ? $"  ETA {eta:mm\\:ss}" : "");
        // Only changes are printed, so a redirected log stays short.
        if (line == _lastTraining) return;
        _lastTraining = line;
        console.MarkupLine(line);
    }

    public void Summary(DemoResult result)
    {
        console.WriteLine();
        var datasets = new Table().Title("[bold]Datasets[/]").AddColumns("file", "dataset", "accepted", "rejected", "train / eval");
        foreach (var d in result.Datasets)
            datasets.AddRow(Esc(d.File), Esc(d.DatasetId), d.RowsAccepted.ToString(), d.RowsRejected.ToString(), $"{d.TrainRows} / {d.EvalRows}");
        console.Write(datasets);
        foreach (var d in result.Datasets) console.MarkupLine($"report {Esc(d.DatasetId)}: {Esc(d.ReportBlob)}");

        console.WriteLine();
        var versions = new Table().Title("[bold]Model versions[/] (eval on the held-out split, before -> after)")
            .AddColumns("version", "from", "datasets", "rewards/accuracies", "eval_loss", "gate");
        foreach (var v in result.Versions)
            versions.AddRow(
                Esc(v.Version),
                Esc(v.ParentVersion ?? "base"),
                Esc(string.Join(", ", v.DatasetIds.Select(Short))),
                $"{F(v.Before(GateDecision.AccuracyMetric))} -> [bold]{F(v.After(GateDecision.AccuracyMetric))}[/]",
                $"{F(v.Before(GateDecision.LossMetric))} -> [bold]{F(v.After(GateDecision.LossMetric))}[/]",
                v.Gate.Passed ? "[green]passed[/]" : "[yellow]held back[/]");
        console.Write(versions);
        foreach (var v in result.Versions)
        {
            console.MarkupLine($"gate {Esc(v.Version)}: {Esc(v.Gate.Reason)}");
            console.MarkupLine($"report {Esc(v.Version)}: {Esc(v.ReportHtmlBlob)}, local copy [link]{Esc(v.LocalReportCopy)}[/]");
        }
        console.MarkupLine($"[bold]latest: {Esc(result.Latest?.Version ?? "none")}[/] (models/{Esc(result.Target)}/latest.json)");
        console.MarkupLine($"[grey]{Esc(result.State)}; {Esc(result.Storage)}; {result.Elapsed.TotalSeconds:0} s in all[/]");
    }

    private static string Bar(int step, int total, int width)
    {
        var filled = total <= 0 ? 0 : Math.Clamp(step * width / total, 0, width);
        return "[green]" + new string('#', filled) + "[/][grey]" + new string('.', width - filled) + "[/]";
    }

    private static string Short(string datasetId) => datasetId.Length > 11 ? datasetId[..11] : datasetId;
    private static string F(double? v) => v is { } x ? x.ToString("0.000") : "n/a";
    private static string Esc(string s) => Markup.Escape(s);
}
