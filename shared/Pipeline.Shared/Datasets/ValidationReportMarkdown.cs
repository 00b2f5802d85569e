// Renders a validation report as report.md for people: verdict, counts, reasons, first rejections.
using System.Text;

namespace Pipeline.Shared.Datasets;

public static class ValidationReportMarkdown
{
    public static string Render(ValidationReport r)
    {
        var s = new StringBuilder();
        s.AppendLine($"# Validation report: {r.File}");
        s.AppendLine();
        s.AppendLine(r.Usable ? $"**Usable.** Dataset `{r.DatasetId}`." : "**Not usable.** The file was quarantined; the original is kept.");
        s.AppendLine();
        foreach (var p in r.FileProblems) s.AppendLine($"- `{p.Code}`: {p.Message}");
        if (r.FileProblems.Count > 0) s.AppendLine();
        s.AppendLine("| rows read | accepted | rejected | train | eval | schema |");
        s.AppendLine("| ---: | ---: | ---: | ---: | ---: | --- |");
        s.AppendLine($"| {r.RowsRead} | {r.RowsAccepted} | {r.RowsRejected} | {r.TrainRows} | {r.EvalRows} | {r.Schema ?? "-"} |");
        if ((r.TokenLengths ?? r.CharLengths) is { } len)
        {
            s.AppendLine();
            s.AppendLine($"Lengths ({len.Unit}): p50 {len.P50}, p90 {len.P90}, p99 {len.P99}, max {len.Max}.");
            if (r.TruncatedRows > 0)
                s.AppendLine($"{r.TruncatedRows} rows are over the limit by {r.TruncatedLength} {len.Unit} in all: kept, training cuts them to max_length.");
        }
        if (r.Reasons.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("| reason | rows |");
            s.AppendLine("| --- | ---: |");
            foreach (var (reason, count) in r.Reasons) s.AppendLine($"| `{reason}` | {count} |");
            s.AppendLine();
            s.AppendLine("| line | reason | message |");
            s.AppendLine("| ---: | --- | --- |");
            foreach (var x in r.Rejections.Take(100))
                s.AppendLine($"| {x.Line} | `{x.Reason}` | {x.Message.Replace("|", "\\|").Replace("\n", " ")} |");
        }
        return s.ToString();
    }
}
