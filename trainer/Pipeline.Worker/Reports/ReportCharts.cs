// The reports' charts as SVG (ScottPlot): training and held-out curves against the optimizer step, and metrics across a
// target's versions. Axes fit the metric: accuracies and rates run 0..1.
using ScottPlot;

namespace Pipeline.Worker.Reports;

/// <summary>One line of a chart: its legend and points.</summary>
public sealed record ChartSeries(string Legend, double[] Xs, double[] Ys);

public static class ReportCharts
{
    public const string LossMetric = "loss";
    public const string AccuracyMetric = "rewards/accuracies";

    /// <summary>The training curve of <paramref name="metric"/> and its held-out twin (eval_{metric}, starting at step 0
    /// with <paramref name="before"/>'s value); null when neither was logged.</summary>
    public static string? TrainAndEval(IReadOnlyList<HistoryPoint> history, IReadOnlyDictionary<string, double> before, string metric,
        string title, bool unitInterval)
    {
        var train = Points(history, metric);
        var eval = Points(history, "eval_" + metric);
        if (eval.Count > 0 && before.TryGetValue("eval_" + metric, out var start) && double.IsFinite(start)) eval.Insert(0, (0, start));
        var series = new List<ChartSeries>();
        if (train.Count > 0) series.Add(new("training batches", [.. train.Select(p => p.X)], [.. train.Select(p => p.Y)]));
        if (eval.Count > 0) series.Add(new("held-out pairs", [.. eval.Select(p => p.X)], [.. eval.Select(p => p.Y)]));
        return series.Count == 0 ? null : Chart(title, "optimizer step", metric, series, unitInterval);
    }

    /// <summary>A line chart; <paramref name="unitInterval"/> fixes the y axis to 0..1. <paramref name="xTicks"/> names
    /// the x positions (e.g. versions) instead of numbering them.</summary>
    public static string Chart(string title, string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, bool unitInterval,
        IReadOnlyList<(double X, string Label)>? xTicks = null, int width = 640, int height = 320)
    {
        var plot = new Plot();
        foreach (var s in series)
        {
            var line = plot.Add.Scatter(s.Xs, s.Ys);
            line.LegendText = s.Legend;
            line.LineWidth = 2;
            line.MarkerSize = s.Xs.Length <= 12 ? 7 : 0;
        }
        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel(yLabel);
        if (series.Count > 1) plot.ShowLegend(Alignment.LowerRight);
        if (unitInterval) plot.Axes.SetLimitsY(-0.02, 1.02);
        if (xTicks is not null)
        {
            var ticks = new ScottPlot.TickGenerators.NumericManual();
            foreach (var (x, label) in xTicks) ticks.AddMajor(x, label);
            plot.Axes.Bottom.TickGenerator = ticks;
            plot.Axes.SetLimitsX(xTicks.Min(t => t.X) - 0.5, xTicks.Max(t => t.X) + 0.5);
        }
        return plot.GetSvgXml(width, height);
    }

    private static List<(double X, double Y)> Points(IReadOnlyList<HistoryPoint> history, string metric) =>
        [.. history.Where(p => p.Metrics.TryGetValue(metric, out var v) && double.IsFinite(v)).Select(p => ((double)p.Step, p.Metrics[metric]))];
}
