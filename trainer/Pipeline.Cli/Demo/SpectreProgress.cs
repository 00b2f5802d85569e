// The demo's screen: stage headers, notes wrapped under them, a line per tenth of a training run (step / total, loss,
// ETA), and the closing summary. Fits 80 columns; when output is redirected it is plain text (no colours or cursor
// movement, 80 columns), so a log file reads like the screen.
using System.Globalization;
using Pipeline.Shared.Contracts;
using Spectre.Console;

namespace Pipeline.Cli.Demo;

public sealed class SpectreProgress(IAnsiConsole console) : IDemoProgress
{
    /// <summary>Width of a redirected console (a log file): the width the summary is laid out for.</summary>
    public const int LogWidth = 80;

    private int _stage;
    private string? _run;
    private string? _lastTraining;

    /// <summary>The demo's console on <paramref name="output"/>: Spectre's detection on a terminal; on a redirected
    /// output no ANSI, no colours, not interactive, <see cref="LogWidth"/> columns.</summary>
    public static IAnsiConsole CreateConsole(TextWriter output, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
            Out = new AnsiConsoleOutput(output),
        });
        if (redirected) console.Profile.Width = LogWidth;
        return console;
    }

    public void Stage(string title)
    {
        _stage++;
        console.WriteLine();
        console.MarkupLine($"[bold deepskyblue1]{_stage}. {Esc(title)}[/]");
    }

    // Wrapped at word boundaries three columns in, so an id or path never breaks across lines (unless it alone is wider).
    public void Note(string message) => console.Write(new Padder(new Markup(Esc(message)), new Padding(3, 0, 0, 0)));

    public void Training(DemoTrainingState s)
    {
        if (s.RunId != _run)
        {
            _run = s.RunId;
            _lastTraining = null;
            Note($"run {s.RunId}");
        }
        // One line per tenth of the run and per stage change, so a log of three runs stays short.
        var tenth = s.TotalSteps <= 0 ? 0 : s.Step * 10 / s.TotalSteps;
        var key = $"{s.Phase}/{tenth}";
        if (key == _lastTraining) return;
        _lastTraining = key;
        var line = $"   {Esc(s.Phase),-9} {Bar(s.Step, s.TotalSteps, 20)} {s.Step,3}/{s.TotalSteps}" +
                   (s.Loss is { } loss ? $"  loss {loss.ToString("0.0000", CultureInfo.InvariantCulture)}" : "") +
                   (s.Eta is { } eta ? $"  ETA {eta:mm\\:ss}" : "");
        console.MarkupLine(line);
    }

    public void Summary(DemoResult result)
    {
        console.WriteLine();
        console.MarkupLine("[bold]Datasets[/]");
        var datasets = new Table().Border(TableBorder.Simple).AddColumns("file", "dataset", "rows", "rejected", "train / eval");
        foreach (var c in datasets.Columns.Skip(2)) c.RightAligned();
        foreach (var d in result.Datasets)
            datasets.AddRow(Esc(d.File), Esc(d.DatasetId), N(d.RowsAccepted), N(d.RowsRejected), $"{N(d.TrainRows)} / {N(d.EvalRows)}");
        console.Write(datasets);

        console.MarkupLine("[bold]Model versions[/] (held-out pairs, before -> after training)");
        var versions = new Table().Border(TableBorder.Simple)
            .AddColumns("version", "from", "data", "reward acc.", "eval loss", "on-policy", "gate");
        foreach (var c in versions.Columns.Skip(3).Take(3)) c.RightAligned();
        foreach (var v in result.Versions)
            versions.AddRow(
                Esc(v.Version),
                Esc(v.ParentVersion ?? "base"),
                Esc(Files(result, v.DatasetIds)),
                $"{F(v.Before(GateDecision.AccuracyMetric))}->[bold]{F(v.After(GateDecision.AccuracyMetric))}[/]",
                $"{F(v.Before(GateDecision.LossMetric))}->[bold]{F(v.After(GateDecision.LossMetric))}[/]",
                v.PolicyBefore is { } b && v.PolicyAfter is { } a ? $"{P(b.Rate)}->[bold]{P(a.Rate)}[/]" : "n/a",
                v.Gate.Passed ? "[green]passed[/]" : "[red]refused[/]");
        console.Write(versions);

        var details = new Grid().AddColumn(new GridColumn().NoWrap()).AddColumn();
        foreach (var v in result.Versions)
        {
            var outcome = v.Gate.Passed ? $"{v.Version} became latest" : $"latest stayed {v.Gate.ComparedWith}";
            details.AddRow(new Text(v.Version), new Markup($"gate {(v.Gate.Passed ? "passed" : "[red]refused[/]")}: {Esc(v.Gate.Reason)}; {Esc(outcome)}"));
            details.AddRow(new Text(""), new Text($"report {DemoRunner.Shown(v.LocalReportCopy)}"));
        }
        console.Write(details);
        console.WriteLine();
        console.MarkupLine($"[bold]latest: {Esc(result.Latest?.Version ?? "none")}[/] (models/{Esc(result.Target)}/latest.json)");
        console.MarkupLine($"[grey]{Esc(result.State)}; {Esc(result.Storage)}; {result.Elapsed.TotalSeconds:0} s in all[/]");
        console.MarkupLine($"target page: [bold]{Esc(DemoRunner.Shown(result.TargetPageCopy))}[/]");
    }

    // "file 1" for a dataset the demo made of its first file, "files 1+2" for several; an id otherwise.
    private static string Files(DemoResult result, IReadOnlyList<string> datasetIds)
    {
        var numbers = datasetIds.Select(id => result.Datasets.ToList().FindIndex(d => d.DatasetId == id) + 1).ToList();
        if (numbers.Any(n => n == 0)) return string.Join(" ", datasetIds.Select(id => id.Length > 9 ? id[..9] : id));
        return (numbers.Count == 1 ? "file " : "files ") + string.Join("+", numbers);
    }

    private static string Bar(int step, int total, int width)
    {
        var filled = total <= 0 ? 0 : Math.Clamp(step * width / total, 0, width);
        return "[green]" + new string('#', filled) + "[/][grey]" + new string('.', width - filled) + "[/]";
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);
    private static string F(double? v) => v is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "n/a";
    private static string P(double rate) => rate.ToString("0%", CultureInfo.InvariantCulture);
    private static string Esc(string s) => Markup.Escape(s);
}
