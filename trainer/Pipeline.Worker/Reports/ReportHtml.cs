// report.html: a self-contained page (inline SVG charts, no scripts) for a person deciding whether to trust a version:
// the gate with its numbers, the on-policy rate, metrics, train and held-out curves, every held-out pair, samples.
using System.Globalization;
using System.Net;
using System.Text;
using Pipeline.Shared.Contracts;

namespace Pipeline.Worker.Reports;

public static class ReportHtml
{
    public const string Style =
        "body{font-family:system-ui,sans-serif;max-width:72rem;margin:2rem auto;padding:0 1rem;color:#222}" +
        "table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccc;padding:.25rem .5rem;vertical-align:top;text-align:left}" +
        "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.pass{color:#176f2c}.reject{color:#a4161a}" +
        ".on{color:#176f2c}.off{color:#a4161a}.box{border:2px solid;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}" +
        ".big{font-size:1.6rem;font-weight:600}.small{font-size:.85rem}figure{margin:.5rem 0}" +
        "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5rem;margin:.2rem 0}";

    public static string Render(EvaluationReport r)
    {
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<title>{E(r.Target)} {E(r.Version)} evaluation report</title>"));
        h.AppendLine($"<style>{Style}</style></head><body>");
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<h1>{E(r.Target)} {E(r.Version)}: evaluation report</h1>"));
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p>Trained from <code>{E(r.ParentVersion ?? r.BaseModel)}</code> on {Codes(r.DatasetIds)} (run <code>{E(r.RunId)}</code>, " +
                         $"request <code>{E(r.RequestId)}</code>); base model <code>{E(r.BaseModel)}</code>.</p>"));
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p>{E(HeldOutSentence(r))}</p>"));
        Gate(h, r);
        Policy(h, r);

        h.AppendLine("<h2>Metrics on the held-out pairs</h2><table><tr><th>metric</th><th>before</th><th>after</th>");
        if (r.LatestVersion is not null) h.Append(string.Create(CultureInfo.InvariantCulture, $"<th>latest ({E(r.LatestVersion)})</th>"));
        h.AppendLine("</tr>");
        foreach (var name in ReportMarkdown.MetricNames(r))
        {
            h.Append(string.Create(CultureInfo.InvariantCulture, $"<tr><td>{E(name)}</td><td class=\"n\">{ReportMarkdown.Cell(r.MetricsBefore, name)}</td><td class=\"n\">{ReportMarkdown.Cell(r.MetricsAfter, name)}</td>"));
            if (r.LatestVersion is not null) h.Append(string.Create(CultureInfo.InvariantCulture, $"<td class=\"n\">{ReportMarkdown.Cell(r.MetricsLatest, name)}</td>"));
            h.AppendLine("</tr>");
        }
        h.AppendLine("</table>");

        if (ReportMarkdown.PeakMemory(r) is { } memory)
            h.AppendLine(CultureInfo.InvariantCulture, $"<p>{E(memory)}.</p>");
        h.AppendLine("<h2>Training curves</h2>");
        var curves = new[]
        {
            ReportCharts.TrainAndEval(r.History, r.MetricsBefore, ReportCharts.LossMetric, "Loss", unitInterval: false),
            ReportCharts.TrainAndEval(r.History, r.MetricsBefore, ReportCharts.AccuracyMetric, "Reward accuracy (chosen preferred)", unitInterval: true),
            ReportCharts.TrainAndEval(r.History, r.MetricsBefore, "rewards/margins", "Reward margin (chosen - rejected)", unitInterval: false),
        }.Where(svg => svg is not null).ToList();
        if (curves.Count == 0) h.AppendLine("<p>No training metrics were logged.</p>");
        foreach (var svg in curves) h.AppendLine("<figure>" + svg + "</figure>");

        HeldOut(h, r);

        if (r.Samples.Count > 0)
        {
            h.AppendLine("<h2>Sample generations (greedy)</h2>");
            foreach (var s in r.Samples)
                h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<h3>Prompt</h3><pre>{E(s.Prompt)}</pre><p>Before {Mark(s.BeforeMark)}</p><pre>{E(s.Before)}</pre>" +
                                 $"<p>After {Mark(s.AfterMark)}</p><pre>{E(s.After)}</pre>"));
        }
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p class=\"small\">Written {r.CreatedAt:yyyy-MM-dd HH:mm:ss} UTC.</p></body></html>"));
        return h.ToString();
    }

    /// <summary>"72 held-out pairs: 24 of ds-a (this run), 48 of ds-b (v0001's data)."</summary>
    public static string HeldOutSentence(EvaluationReport r) => r.HeldOutSources.Count == 0
        ? $"{r.EvalPairs} held-out pairs."
        : $"{r.EvalPairs} held-out pairs: " + string.Join(", ", r.HeldOutSources.Select(s =>
            $"{s.Pairs} of {s.DatasetId} ({(s.Origin == HeldOutOrigin.ThisRun ? s.Origin : s.Origin + "'s data")})")) + ".";

    private static void Gate(StringBuilder h, EvaluationReport r)
    {
        var g = r.Gate;
        var verdict = g.Passed ? "passed" : "refused";
        var outcome = g.Passed ? $"{r.Version} becomes latest" : $"latest stays {g.ComparedWith ?? "unset"}";
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<div class=\"box {(g.Passed ? "pass" : "reject")}\"><p class=\"big\">Gate: {verdict} — {E(outcome)}</p><p>{E(g.Reason)}.</p>"));
        if (g.ComparedWith is not null)
        {
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<table><tr><th>metric</th><th>this version</th><th>latest ({E(g.ComparedWith)})</th><th>change</th><th>allowed</th></tr>"));
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<tr><td>{GateDecision.AccuracyMetric}</td><td class=\"n\">{F(g.CandidateAccuracy)}</td><td class=\"n\">{F(g.LatestAccuracy)}</td>" +
                             $"<td class=\"n\">{Change(g.CandidateAccuracy, g.LatestAccuracy)}</td><td class=\"n\">&gt;= -{g.Tolerances.MaxRewardAccuracyDrop:0.000}</td></tr>"));
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<tr><td>{GateDecision.LossMetric}</td><td class=\"n\">{F(g.CandidateLoss)}</td><td class=\"n\">{F(g.LatestLoss)}</td>" +
                             $"<td class=\"n\">{Change(g.CandidateLoss, g.LatestLoss)}</td><td class=\"n\">&lt;= +{g.Tolerances.MaxEvalLossIncrease:0.000}</td></tr></table>"));
        }
        h.AppendLine("</div>");
    }

    private static void Policy(StringBuilder h, EvaluationReport r)
    {
        if (r.Policy is not { } p) return;
        h.AppendLine("<h2>On-policy rate of sampled answers</h2>");
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p class=\"big\">{p.Before.Rate:0%} → {p.After.Rate:0%}</p>"));
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p>{p.Before.Samples} answers per model ({p.Prompts} held-out prompts × {p.SamplesPerPrompt}, temperature {p.Temperature:0.##}, " +
                         $"top-p {p.TopP:0.##}), marked by the {E(p.Rule)}.</p>"));
        h.AppendLine("<table><tr><th>mark</th><th>before</th><th>after</th></tr>");
        foreach (var label in p.Before.Labels.Keys.Union(p.After.Labels.Keys).Order(StringComparer.Ordinal))
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<tr><td>{E(label)}</td><td class=\"n\">{p.Before.Labels.GetValueOrDefault(label)}</td><td class=\"n\">{p.After.Labels.GetValueOrDefault(label)}</td></tr>"));
        h.AppendLine("</table>");
        if (p.Examples.Count == 0) return;
        h.AppendLine("<table><tr><th>held-out prompt</th><th>sampled before</th><th>sampled after</th></tr>");
        foreach (var s in p.Examples)
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<tr><td>{E(s.Prompt)}</td><td>{Mark(s.BeforeMark)}<br>{E(s.Before)}</td><td>{Mark(s.AfterMark)}<br>{E(s.After)}</td></tr>"));
        h.AppendLine("</table>");
    }

    private static void HeldOut(StringBuilder h, EvaluationReport r)
    {
        if (r.HeldOut.Count == 0) return;
        var pairs = r.HeldOut;
        h.AppendLine("<h2>Held-out pairs</h2>");
        h.AppendLine($"<p>{E(ReportMarkdown.HeldOutSummary(pairs))} Log-probabilities are the mean per answer token; the model prefers the " +
                     "answer with the higher one.</p>");
        h.AppendLine("<table class=\"small\"><tr><th>#</th><th>dataset</th><th>prompt</th><th>chosen</th><th>rejected</th>" +
                     "<th>chosen log-prob<br>before → after</th><th>rejected log-prob<br>before → after</th><th>prefers</th></tr>");
        for (var i = 0; i < pairs.Count; i++)
        {
            var p = pairs[i];
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<tr><td class=\"n\">{i + 1}</td><td><code>{E(Short(p.DatasetId))}</code></td><td>{E(p.Prompt)}</td><td>{E(p.Chosen)}</td><td>{E(p.Rejected)}</td>" +
                             $"<td class=\"n\">{p.ChosenLogpsBefore:0.00} → {p.ChosenLogpsAfter:0.00}</td><td class=\"n\">{p.RejectedLogpsBefore:0.00} → {p.RejectedLogpsAfter:0.00}</td>" +
                             $"<td>{Prefers(p)}</td></tr>"));
        }
        h.AppendLine("</table>");
    }

    private static string Prefers(HeldOutPair p)
    {
        static string Side(bool chosen) => chosen ? "chosen" : "rejected";
        if (p.PrefersChosenBefore == p.PrefersChosenAfter) return Side(p.PrefersChosenAfter);
        return p.PrefersChosenAfter
            ? "<span class=\"on\">flipped to chosen</span>"
            : "<span class=\"off\">flipped to rejected</span>";
    }

    private static string Mark(AnswerMark? mark) => mark is null ? ""
        : mark.OnPolicy ? $"<span class=\"on\">✓ {E(mark.Label)}</span>" : $"<span class=\"off\">✗ {E(mark.Label)}</span>";

    private static string Change(double? candidate, double? latest) =>
        candidate is { } c && latest is { } l ? (c - l).ToString("+0.000;-0.000;0.000", CultureInfo.InvariantCulture) : "—";

    private static string F(double? v) => v is { } x ? x.ToString("0.000", CultureInfo.InvariantCulture) : "—";

    private static string Short(string datasetId) => datasetId.Length > 11 ? datasetId[..11] : datasetId;

    private static string Codes(IEnumerable<string> ids) => string.Join(", ", ids.Select(d => $"<code>{E(d)}</code>"));


    private static string E(string text) => WebUtility.HtmlEncode(text);
}
