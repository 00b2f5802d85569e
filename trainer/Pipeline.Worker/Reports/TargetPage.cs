// models/{target}/index.json and index.html: the history of a target on one page: every version with its parent,
// datasets, gate decision and key metrics, charts of the metrics across versions, and a link to each version's report.
using System.Globalization;
using System.Net;
using System.Text;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker.Reports;

public sealed record TargetIndex
{
    public required string Target { get; init; }
    /// <summary>The version latest.json names; null before any version passed the gate.</summary>
    public string? Latest { get; init; }
    public required IReadOnlyList<TargetIndexVersion> Versions { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>One version as the target page lists it; a version still being written has no manifest yet (Complete false).</summary>
public sealed record TargetIndexVersion
{
    public required string Version { get; init; }
    public required bool Complete { get; init; }
    public string? Parent { get; init; }
    public IReadOnlyList<string> DatasetIds { get; init; } = [];
    public GateDecision? Gate { get; init; }
    public bool IsLatest { get; init; }
    /// <summary>eval_* metrics on the version's own held-out pairs (they differ between versions: see the report).</summary>
    public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();
    public int? EvalPairs { get; init; }
    public double? OnPolicyBefore { get; init; }
    public double? OnPolicyAfter { get; init; }
    /// <summary>The version's report relative to the page ("v0001/eval/report.html").</summary>
    public required string Report { get; init; }
    public DateTimeOffset? FinishedAt { get; init; }
}

public static class TargetPage
{
    /// <summary>The metrics the page shows for each version.</summary>
    public static readonly IReadOnlyList<string> KeyMetrics = [GateDecision.AccuracyMetric, GateDecision.LossMetric, "eval_rewards/margins"];

    public static TargetIndexVersion Entry(ModelVersion version, ModelManifest? manifest, EvaluationReport? report, string? latest) => new()
    {
        Version = version.Name,
        Complete = manifest is not null,
        Parent = manifest?.ParentVersion,
        DatasetIds = manifest?.DatasetIds ?? [],
        Gate = manifest?.Gate,
        IsLatest = latest == version.Name,
        Metrics = manifest is null ? new Dictionary<string, double>()
            : KeyMetrics.Where(manifest.Metrics.ContainsKey).ToDictionary(m => m, m => manifest.Metrics[m]),
        EvalPairs = report?.EvalPairs,
        OnPolicyBefore = report?.Policy?.Before.Rate,
        OnPolicyAfter = report?.Policy?.After.Rate,
        Report = StorageLayout.VersionReportFromIndex(version),
        FinishedAt = manifest?.Timings.FinishedAt,
    };

    public static string Html(TargetIndex index)
    {
        var h = new StringBuilder();
        h.AppendLine("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<title>{E(index.Target)}: model versions</title><style>{ReportHtml.Style}</style></head><body>"));
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<h1>{E(index.Target)}: model versions</h1>"));
        var refused = index.Versions.Count(v => v.Gate is { Passed: false });
        h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<p class=\"big\">latest: {E(index.Latest ?? "none")}</p><p>{index.Versions.Count} versions, {refused} refused by the gate; " +
                         $"updated {index.UpdatedAt:yyyy-MM-dd HH:mm:ss} UTC.</p>"));
        var complete = index.Versions.Where(v => v.Complete && ModelVersion.TryParseName(v.Version, out _)).ToList();
        if (complete.Count > 0)
        {
            var ticks = complete.Select(v => (X: (double)Number(v), Label: v.Version)).ToList();
            var rates = new List<ChartSeries> { Series(complete, "reward accuracy (held-out)", v => v.Metrics.GetValueOrDefault(GateDecision.AccuracyMetric, double.NaN)) };
            if (complete.Any(v => v.OnPolicyAfter is not null))
                rates.Add(Series(complete, "on-policy rate of sampled answers", v => v.OnPolicyAfter ?? double.NaN));
            h.AppendLine("<figure>" + ReportCharts.Chart("Accuracy and on-policy rate by version", "version", "share (0..1)", rates, unitInterval: true, ticks) + "</figure>");
            h.AppendLine("<figure>" + ReportCharts.Chart("Held-out loss by version", "version", GateDecision.LossMetric,
                [Series(complete, "held-out loss", v => v.Metrics.GetValueOrDefault(GateDecision.LossMetric, double.NaN))], unitInterval: false, ticks) + "</figure>");
        }
        h.AppendLine("<table><tr><th>version</th><th>from</th><th>datasets</th><th>gate</th>");
        foreach (var m in KeyMetrics) h.Append(string.Create(CultureInfo.InvariantCulture, $"<th>{E(m)}</th>"));
        h.AppendLine("<th>on-policy rate<br>before → after</th><th>held-out pairs</th><th>report</th></tr>");
        foreach (var v in index.Versions)
        {
            var gate = v.Gate is not { } g ? "being written"
                : (g.Passed ? "<span class=\"pass\">✓ passed</span>" : "<span class=\"reject\">✗ refused</span>") + ": " + E(g.Reason);
            h.Append(string.Create(CultureInfo.InvariantCulture, $"<tr><td><strong>{E(v.Version)}</strong>{(v.IsLatest ? " (latest)" : "")}</td><td>{E(v.Parent ?? "base model")}</td>"));
            h.Append(string.Create(CultureInfo.InvariantCulture, $"<td>{string.Join("<br>", v.DatasetIds.Select(d => $"<code>{E(d)}</code>"))}</td><td>{gate}</td>"));
            foreach (var m in KeyMetrics) h.Append(string.Create(CultureInfo.InvariantCulture, $"<td class=\"n\">{(v.Metrics.TryGetValue(m, out var x) ? x.ToString("0.000", CultureInfo.InvariantCulture) : "—")}</td>"));
            var policy = v.OnPolicyBefore is { } b && v.OnPolicyAfter is { } a ? string.Create(CultureInfo.InvariantCulture, $"{b:0%} → {a:0%}") : "—";
            h.AppendLine(string.Create(CultureInfo.InvariantCulture, $"<td class=\"n\">{policy}</td><td class=\"n\">{v.EvalPairs?.ToString(CultureInfo.InvariantCulture) ?? "—"}</td>" +
                             $"<td>{(v.Complete ? $"<a href=\"{E(v.Report)}\">report</a>" : "")}</td></tr>"));
        }
        h.AppendLine("</table>");
        h.AppendLine("<p class=\"small\">Each version's metrics are measured on its run's held-out pairs: those of the data it trained on and of the " +
                     "data behind the latest version it was compared with. The gate compares a version with latest on the same pairs.</p>");
        h.AppendLine("</body></html>");
        return h.ToString();
    }

    private static ChartSeries Series(IReadOnlyList<TargetIndexVersion> versions, string legend, Func<TargetIndexVersion, double> value)
    {
        var points = versions.Select(v => (X: (double)Number(v), Y: value(v))).Where(p => double.IsFinite(p.Y)).ToList();
        return new ChartSeries(legend, [.. points.Select(p => p.X)], [.. points.Select(p => p.Y)]);
    }

    private static int Number(TargetIndexVersion v) => ModelVersion.TryParseName(v.Version, out var n) ? n : 0;


    private static string E(string text) => WebUtility.HtmlEncode(text);
}
