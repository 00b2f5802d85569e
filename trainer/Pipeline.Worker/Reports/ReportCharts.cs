// The report's curves as SVG (ScottPlot): training loss and reward accuracy against the optimizer step.
using ScottPlot;

namespace Pipeline.Worker.Reports;

public static class ReportCharts
{
    public const string LossMetric = "loss";
    public const string AccuracyMetric = "rewards/accuracies";

    /// <summary>SVG of <paramref name="metric"/> over the history, or null when no point carries it.</summary>
    public static string? Curve(IReadOnlyList<HistoryPoint> history, string metric, string title, int width = 640, int height = 320)
    {
        var points = history.Where(p => p.Metrics.TryGetValue(metric, out var v) && double.IsFinite(v)).ToList();
        if (points.Count == 0) return null;
        var plot = new Plot();
        var xs = points.Select(p => (double)p.Step).ToArray();
        var ys = points.Select(p => p.Metrics[metric]).ToArray();
        var line = plot.Add.Scatter(xs, ys);
        line.LegendText = metric;
        plot.Title(title);
        plot.XLabel("optimizer step");
        plot.YLabel(metric);
        return plot.GetSvgXml(width, height);
    }
}
