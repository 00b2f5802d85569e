// The hostile corpus through the validator in a child process under a 256 MB managed-heap cap: every file, whatever it
// claims, ends in a report naming its reason (never an exception, never an allocation the file asked for).
using Pipeline.Shared.Datasets;
using Pipeline.Testing;
using Pipeline.Testing.Hostile;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class HostileCorpusTests
{
    [Fact]
    public async Task Every_hostile_file_ends_in_a_report_with_its_reason_within_a_256_mb_heap()
    {
        using var dir = new TempDir();
        var corpus = HostileCorpus.Write(dir.Path);

        var run = await CappedProcess.RunAssemblyAsync(typeof(Program).Assembly.Location, ["validate-all", dir.Path, HostileCorpus.ProfileJson]);

        Assert.True(run.ExitCode == 0, run.ToString());
        var reports = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(ValidationReport.FromJson).ToDictionary(r => r.File);
        var wrong = new List<string>();
        foreach (var file in corpus)
        {
            var report = reports[file.Name];
            var reasons = report.FileProblems.Select(p => (p.Code, p.Message)).Concat(report.Rejections.Select(r => (Code: r.Reason, r.Message))).ToList();
            if (report.Usable != file.Usable || !reasons.Any(r => r.Code == file.Code && r.Message.Contains(file.MessagePart)))
                wrong.Add($"{file.Name}: expected {file.Code} '{file.MessagePart}' (usable {file.Usable}), got usable {report.Usable}: " +
                          string.Join(" | ", reasons.Take(3).Select(r => $"{r.Code}: {r.Message}")));
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }
}
