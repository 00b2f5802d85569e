// Writes the three forms of an evaluation report into a folder: report.json, report.md, report.html.
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;

namespace Pipeline.Worker.Reports;

public static class ReportFiles
{
    public const string JsonFile = StorageLayout.ReportJsonFile;
    public const string MarkdownFile = StorageLayout.ReportMarkdownFile;
    public const string HtmlFile = StorageLayout.ReportHtmlFile;
    public static readonly IReadOnlyList<string> Names = [JsonFile, MarkdownFile, HtmlFile];

    /// <summary>A report file's name inside a model version folder (eval/report.html).</summary>
    public static string InVersion(string file) => StorageLayout.VersionEvalFolder + file;

    public static async Task WriteAsync(EvaluationReport report, string folder, CancellationToken ct)
    {
        Directory.CreateDirectory(folder);
        await File.WriteAllTextAsync(Path.Combine(folder, JsonFile), ContractJson.Serialize(report).ToString(), ct);
        await File.WriteAllTextAsync(Path.Combine(folder, MarkdownFile), ReportMarkdown.Render(report), ct);
        await File.WriteAllTextAsync(Path.Combine(folder, HtmlFile), ReportHtml.Render(report), ct);
    }
}
