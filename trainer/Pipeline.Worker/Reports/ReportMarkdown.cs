// report.md: the evaluation report for people reading it in a repository or a terminal (report.html adds the charts
// and the held-out pairs one by one).
using System.Globalization;
using System.Text;

namespace Pipeline.Worker.Reports;

public static class ReportMarkdown
{
    public static string Render(EvaluationReport r)
    {
        var md = new StringBuilder();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"# {r.Target} {r.Version}: evaluation report"));
        md.AppendLine();
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"Trained from `{r.ParentVersion ?? r.BaseModel}` on {string.Join(", ", r.DatasetIds.Select(d => $"`{d}`"))} (run `{r.RunId}`, request `{r.RequestId}`); base model `{r.BaseModel}`."));
        md.AppendLine(ReportHtml.HeldOutSentence(r));
        md.AppendLine();
        var g = r.Gate;
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"**Gate: {(g.Passed ? "passed" : "refused")}** — {g.Reason}."));
        if (r.Policy is { } p)
        {
            md.AppendLine();
            md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"**On-policy rate of sampled answers: {p.Before.Rate:0%} → {p.After.Rate:0%}** ({p.Before.Samples} answers per model, " +
                              $"{p.Prompts} held-out prompts × {p.SamplesPerPrompt}, marked by the {p.Rule})."));
        }
        md.AppendLine();
        md.AppendLine("## Metrics on the held-out pairs");
        md.AppendLine();
        var latestHeader = r.LatestVersion is null ? "" : $" latest ({r.LatestVersion}) |";
        md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"| metric | before | after |{latestHeader}"));
        md.AppendLine(r.LatestVersion is null ? "| --- | ---: | ---: |" : "| --- | ---: | ---: | ---: |");
        foreach (var name in MetricNames(r))
        {
            md.Append(string.Create(CultureInfo.InvariantCulture, $"| {name} | {Cell(r.MetricsBefore, name)} | {Cell(r.MetricsAfter, name)} |"));
            if (r.LatestVersion is not null) md.Append(string.Create(CultureInfo.InvariantCulture, $" {Cell(r.MetricsLatest, name)} |"));
            md.AppendLine();
        }
        if (r.HeldOut.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Held-out pairs");
            md.AppendLine();
            md.AppendLine(HeldOutSummary(r.HeldOut));
        }
        if (r.Samples.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("## Sample generations");
            foreach (var s in r.Samples)
            {
                md.AppendLine();
                md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"**Prompt:** {Inline(s.Prompt)}"));
                md.AppendLine();
                md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- before{Mark(s.BeforeMark)}: {Inline(s.Before)}"));
                md.AppendLine(string.Create(CultureInfo.InvariantCulture, $"- after{Mark(s.AfterMark)}: {Inline(s.After)}"));
            }
        }
        if (PeakMemory(r) is { } memory)
        {
            md.AppendLine();
            md.AppendLine(memory + ".");
        }
        md.AppendLine();
        md.AppendLine("Charts of the training and held-out curves, and every held-out pair, are in report.html.");
        return md.ToString();
    }

    /// <summary>"72 pairs: the model preferred the chosen answer in 54 before and 47 after; 3 flipped to chosen, 10 to rejected."</summary>
    public static string HeldOutSummary(IReadOnlyList<HeldOutPair> pairs) =>
        $"{pairs.Count} pairs: the model preferred the chosen answer in {pairs.Count(p => p.PrefersChosenBefore)} before and " +
        $"{pairs.Count(p => p.PrefersChosenAfter)} after; {pairs.Count(p => !p.PrefersChosenBefore && p.PrefersChosenAfter)} flipped to chosen, " +
        $"{pairs.Count(p => p.PrefersChosenBefore && !p.PrefersChosenAfter)} to rejected.";

    public static IEnumerable<string> MetricNames(EvaluationReport r) =>
        r.MetricsBefore.Keys.Concat(r.MetricsAfter.Keys).Concat(r.MetricsLatest?.Keys ?? []).Distinct().Order(StringComparer.Ordinal);

    /// <summary>The run's peak memory as the trainer logged it (peak_memory_bytes in metrics.jsonl), or null when not logged.</summary>
    public static string? PeakMemory(EvaluationReport r) =>
        r.History.Select(h => h.Metrics.TryGetValue("peak_memory_bytes", out var b) ? b : 0).DefaultIfEmpty(0).Max() is var bytes and > 0
            ? string.Create(CultureInfo.InvariantCulture, $"Peak memory of the training run: {bytes / (1L << 30):0.00} GiB (peak RSS on the CPU, device memory in use on CUDA)")
            : null;

    public static string Cell(IReadOnlyDictionary<string, double>? metrics, string name) =>
        metrics is not null && metrics.TryGetValue(name, out var v) ? v.ToString("G6", CultureInfo.InvariantCulture) : "—";

    private static string Mark(AnswerMark? mark) => mark is null ? "" : $" ({(mark.OnPolicy ? "✓" : "✗")} {mark.Label})";


    private static string Inline(string text) => text.Replace("\r", "").Replace("\n", " ⏎ ").Replace("|", "\\|");
}
