// Writes the three forms of an evaluation report into a folder: report.json, report.md, report.html.
using Pipeline.Shared.Versions;

namespace Pipeline.Worker.Reports;

public static class ReportFiles
{
    public static readonly IReadOnlyList<string> Names = ["report.json", "report.md", "report.html"];

    public static async Task WriteAsync(EvaluationReport report, string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.json"), VersionJson.Serialize(report).ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), ReportMarkdown.Render(report), ct);
        await File.WriteAllTextAsync(Path.Combine(folder, "report.html"), ReportHtml.Render(report), ct);
    }
}
