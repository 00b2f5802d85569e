// report.md: the evaluation report for people reading it in a repository or a terminal.
using System.Globalization;
using System.Text;

namespace Pipeline.Worker.Reports;

public static class ReportMarkdown
{
    public static string Render(EvaluationReport r)
    {
        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"# {r.Target} {r.Version}: evaluation report");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Run `{r.RunId}` for request `{r.RequestId}`, base model `{r.BaseModel}`, datasets {string.Join(", ", r.DatasetIds.Select(d => $"`{d}`"))}; {r.EvalPairs} held-out pairs.");
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"**Gate: {(r.Gate.Passed ? "passed" : "rejected")}** — {r.Gate.Reason}.");
        md.AppendLine();
        md.AppendLine("## Metrics on the held-out split");
        md.AppendLine();
        var latestHeader = r.LatestVersion is null ? "" : $" latest ({r.LatestVersion}) |";
        md.AppendLine(CultureInfo.InvariantCulture, $"| metric | before | after |{latestHeader}");
        md.AppendLine(r.LatestVersion is null ? "| --- | ---: | ---: |" : "| --- | ---: | ---: | ---: |");
        foreach (var name in MetricNames(r))
        {
            md.Append(CultureInfo.InvariantCulture, $"| {name} | {Cell(r.MetricsBefore, name)} | {Cell(r.MetricsAfter, name)} |");
            if (r.LatestVersion is not null) md.Append(CultureInfo.InvariantCulture, $" {Cell(r.MetricsLatest, name)} |");
            md.AppendLine();
        }
        if (r.Samples.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Sample generations");
            foreach (var s in r.Samples)
            {
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"**Prompt:** {Inline(s.Prompt)}");
                md.AppendLine();
                md.AppendLine(CultureInfo.InvariantCulture, $"- before: {Inline(s.Before)}");
                md.AppendLine(CultureInfo.InvariantCulture, $"- after: {Inline(s.After)}");
            }
        }
        if (PeakMemory(r) is { } memory)
        {
            md.AppendLine();
            md.AppendLine(memory + ".");
        }
        md.AppendLine();
        md.AppendLine("Curves of loss and reward accuracy are in report.html.");
        return md.ToString();
    }

    public static IEnumerable<string> MetricNames(EvaluationReport r) =>
        r.MetricsBefore.Keys.Concat(r.MetricsAfter.Keys).Concat(r.MetricsLatest?.Keys ?? []).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The run's peak memory as the trainer logged it (peak_memory_bytes in metrics.jsonl), or null when not logged.</summary>
    public static string? PeakMemory(EvaluationReport r) =>
        r.History.Select(h => h.Metrics.TryGetValue("peak_memory_bytes", out var b) ? b : 0).DefaultIfEmpty(0).Max() is var bytes and > 0
            ? string.Create(CultureInfo.InvariantCulture, $"Peak memory of the training run: {bytes / (1L << 30):0.00} GiB (peak RSS on the CPU, device memory in use on CUDA)")
            : null;

    public static string Cell(IReadOnlyDictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "—";

    private static string Inline(string text) => text.Replace("\r", "").Replace("\n", " ⏎ ").Replace("|", "\\|");
}
