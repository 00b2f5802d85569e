// report.html: a self-contained page (inline SVG curves, no scripts) with the same content as report.md.
using System.Globalization;
using System.Net;
using System.Text;

namespace Pipeline.Worker.Reports;

public static class ReportHtml
{
    public static string Render(EvaluationReport r)
    {
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.AppendLine(CultureInfo.InvariantCulture, $"<title>{E(r.Target)} {E(r.Version)} evaluation report</title>");
        h.AppendLine("<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}" +
                     "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem}td.n{text-align:right;font-variant-numeric:tabular-nums}" +
                     ".pass{color:#176f2c}.reject{color:#a4161a}pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem}</style></head><body>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<h1>{E(r.Target)} {E(r.Version)}: evaluation report</h1>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<p>Run <code>{E(r.RunId)}</code> for request <code>{E(r.RequestId)}</code>, base model <code>{E(r.BaseModel)}</code>, datasets {string.Join(", ", r.DatasetIds.Select(d => $"<code>{E(d)}</code>"))}; {r.EvalPairs} held-out pairs.</p>");
        h.AppendLine(CultureInfo.InvariantCulture, $"<p class=\"{(r.Gate.Passed ? "pass" : "reject")}\"><strong>Gate: {(r.Gate.Passed ? "passed" : "rejected")}</strong> — {E(r.Gate.Reason)}.</p>");

        h.AppendLine("<h2>Metrics on the held-out split</h2><table><tr><th>metric</th><th>before</th><th>after</th>");
        if (r.LatestVersion is not null) h.Append(CultureInfo.InvariantCulture, $"<th>latest ({E(r.LatestVersion)})</th>");
        h.AppendLine("</tr>");
        foreach (var name in ReportMarkdown.MetricNames(r))
        {
            h.Append(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td class=\"n\">{ReportMarkdown.Cell(r.MetricsBefore, name)}</td><td class=\"n\">{ReportMarkdown.Cell(r.MetricsAfter, name)}</td>");
            if (r.LatestVersion is not null) h.Append(CultureInfo.InvariantCulture, $"<td class=\"n\">{ReportMarkdown.Cell(r.MetricsLatest, name)}</td>");
            h.AppendLine("</tr>");
        }
        h.AppendLine("</table>");

        if (ReportMarkdown.PeakMemory(r) is { } memory)
            h.AppendLine(CultureInfo.InvariantCulture, $"<p>{E(memory)}.</p>");
        h.AppendLine("<h2>Training curves</h2>");
        var curves = new[]
        {
            ReportCharts.Curve(r.History, ReportCharts.LossMetric, "Training loss"),
            ReportCharts.Curve(r.History, ReportCharts.AccuracyMetric, "Reward accuracy (training batches)"),
        }.Where(svg => svg is not null).ToList();
        if (curves.Count == 0) h.AppendLine("<p>No training metrics were logged.</p>");
        foreach (var svg in curves) h.AppendLine("<figure>" + svg + "</figure>");

        if (r.Samples.Count > 0)
        {
            h.AppendLine("<h2>Sample generations</h2>");
            foreach (var s in r.Samples)
                h.AppendLine(CultureInfo.InvariantCulture,
                    $"<h3>Prompt</h3><pre>{E(s.Prompt)}</pre><p>Before</p><pre>{E(s.Before)}</pre><p>After</p><pre>{E(s.After)}</pre>");
        }
        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
