// The demo end to end on Azurite with test sizes: three files land; v0001 (from the warmed-up base model) raises the
// on-policy rate of sampled answers by a clear margin; v0002 continues from it; v0003, trained on a file whose labels
// are mostly swapped, is refused by the gate, so latest stays v0002; the target page lists the three versions with
// their gate marks; the reports render in Chromium; a rerun with --reuse trains nothing.
using System.Text.Json.Nodes;
using Pipeline.Cli.Demo;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Testing.Browser;
using Pipeline.Worker.Reports;
using Xunit.Abstractions;

namespace Pipeline.Cli.Tests.Demo;

/// <summary>One demo run shared by the class's tests (it takes a few minutes); its state folder is removed at the end.</summary>
public sealed class DemoRunFixture : IDisposable
{
    public const string Target = "demo-e2e";

    private readonly Lock _gate = new();
    private Task<(DemoResult Result, RecordingProgress Progress)>? _run;

    private readonly TempDir _state = new("demo-e2e-");

    public string State => _state.Path;

    public DemoOptions Options(string connectionString) => new()
    {
        RepoRoot = RepoPaths.Root, StateDir = State, ConnectionString = connectionString, Target = Target,
        PairsPerFile = 200, Size = DemoTrainingSize.Test, Device = "cpu", StageTimeout = TimeSpan.FromMinutes(8),
    };

    public Task<(DemoResult Result, RecordingProgress Progress)> RunAsync(string connectionString)
    {
        lock (_gate)
            return _run ??= Task.Run(async () =>
            {
                var progress = new RecordingProgress();
                var result = await new DemoRunner(Options(connectionString), progress).RunAsync(reuse: false, CancellationToken.None);
                return (result, progress);
            });
    }

    public void Dispose() => _state.Dispose();
}

[Collection(AzuriteCollection.Name)]
public sealed class DemoEndToEndTests(AzuriteFixture azurite, DemoRunFixture demo, ITestOutputHelper output) : IClassFixture<DemoRunFixture>
{
    private const string Target = DemoRunFixture.Target;

    [Fact]
    public async Task The_first_version_raises_the_on_policy_rate_and_the_gate_refuses_the_mislabelled_third_one()
    {
        var (result, progress) = await demo.RunAsync(azurite.ConnectionString);

        // Three files, three disjoint datasets; the third holds mostly swapped labels yet is valid data.
        Assert.Equal(["demo-e2e-1.jsonl", "demo-e2e-2.jsonl", "demo-e2e-3.jsonl"], result.Datasets.Select(d => d.File));
        Assert.Equal(3, result.Datasets.Select(d => d.DatasetId).Distinct().Count());
        Assert.All(result.Datasets, d => Assert.Equal((200, 0), (d.RowsAccepted, d.RowsRejected)));

        // v0001 from the base model: the on-policy rate of answers sampled on held-out prompts rises by a clear margin.
        Assert.Equal(["v0001", "v0002", "v0003"], result.Versions.Select(v => v.Version));
        var (v1, v2, v3) = (result.Versions[0], result.Versions[1], result.Versions[2]);
        output.WriteLine($"on-policy rate: v0001 {v1.PolicyBefore!.Rate:0%} -> {v1.PolicyAfter!.Rate:0%}, v0002 -> {v2.PolicyAfter!.Rate:0%}, v0003 -> {v3.PolicyAfter!.Rate:0%}");
        Assert.Null(v1.ParentVersion);
        Assert.True(v1.PolicyAfter.Rate >= v1.PolicyBefore.Rate + 0.25,
            $"v0001 moved the on-policy rate only from {v1.PolicyBefore.Rate:0%} to {v1.PolicyAfter.Rate:0%}");
        Assert.True(v1.Gate.Passed);

        // v0002 continues from v0001 on file 2 and passes; v0003 continues from v0002 on the mislabelled file, trains, and
        // is refused: compared with v0002 on the same held-out pairs (its own and those behind v0002), it got worse.
        Assert.Equal("v0001", v2.ParentVersion);
        Assert.True(v2.Gate.Passed, v2.Gate.Reason);
        Assert.Equal("v0002", v3.ParentVersion);
        Assert.False(v3.Gate.Passed);
        Assert.Equal("v0002", v3.Gate.ComparedWith);
        Assert.Matches("(eval_rewards/accuracies .* below|eval_loss .* above) v0002's", v3.Gate.Reason);
        Assert.True(v3.PolicyAfter.Rate < v3.PolicyBefore!.Rate, "training on swapped labels should make answers worse");
        Assert.Equal("v0002", result.Latest?.Version);
        Assert.Contains(progress.Lines, l => l.StartsWith($"gate refused: {v3.Gate.Reason}; latest stays v0002", StringComparison.Ordinal));

        // Manifest lineage: v0001 names the demo's base model by the hash of the folder the warm-up wrote; v0002 the same
        // base model and v0001, with its own hash, as its parent.
        var store = new ModelVersionStore(azurite.BlobService());
        var m1 = await store.ReadManifestAsync(new ModelVersion(Target, 1), CancellationToken.None);
        var m2 = await store.ReadManifestAsync(new ModelVersion(Target, 2), CancellationToken.None);
        Assert.Equal(DemoSetup.BaseModelSpec, m1!.BaseModel.Source);
        Assert.Equal(await FileHash.FolderSha256Async(new DemoState(demo.State).BaseModel, CancellationToken.None), m1.BaseModel.Sha256);
        Assert.Equal(m1.BaseModel, m2!.BaseModel);
        Assert.Equal("v0001", m2.Parent!.Version);
        Assert.NotEqual(m1.BaseModel.Sha256, m2.Parent.Sha256);
        Assert.Equal(result.Datasets[0].RequestId, m1.RequestId);

        // v0003 was compared on v0001's and v0002's held-out pairs too, and its report says so; its samples are held-out
        // prompts rendered by the base model's ChatML template, each answer marked by the policy rule.
        var r3 = ContractJson.Deserialize<EvaluationReport>(
            (await store.ReadFileAsync(new ModelVersion(Target, 3), ReportFiles.InVersion(ReportFiles.JsonFile), CancellationToken.None))!, "v0003 report");
        Assert.Equal([HeldOutOrigin.ThisRun, "v0002", "v0001"], r3.HeldOutSources.Select(s => s.Origin));
        Assert.Equal(result.Datasets.Select(d => d.DatasetId).Reverse(), r3.HeldOutSources.Select(s => s.DatasetId));
        Assert.Equal(r3.HeldOutSources.Sum(s => s.Pairs), r3.HeldOut.Count);
        Assert.False(r3.Gate.Passed);
        Assert.All(r3.Samples, sample =>
        {
            Assert.StartsWith("<|im_start|>user\n", sample.Prompt, StringComparison.Ordinal);
            Assert.EndsWith("<|im_start|>assistant\n", sample.Prompt, StringComparison.Ordinal);
            Assert.NotNull(sample.BeforeMark);
            Assert.NotNull(sample.AfterMark);
        });

        // The target page lists the three versions with the right gate marks, latest v0002, links to each report.
        var page = JsonNode.Parse((await azurite.BlobService().GetBlobContainerClient(StorageLayout.Models)
            .GetBlobClient(StorageLayout.ModelIndexJsonBlob(Target)).DownloadContentAsync()).Value.Content.ToString())!;
        Assert.Equal("v0002", page["latest"]!.GetValue<string>());
        var listed = page["versions"]!.AsArray();
        Assert.Equal(["v0001", "v0002", "v0003"], listed.Select(v => v!["version"]!.GetValue<string>()));
        Assert.Equal([true, true, false], listed.Select(v => v!["gate"]!["passed"]!.GetValue<bool>()));
        Assert.Equal([false, true, false], listed.Select(v => v!["is_latest"]!.GetValue<bool>()));
        Assert.Equal(result.TargetPage.Versions.Select(v => v.Report), listed.Select(v => v!["report"]!.GetValue<string>()));
        var html = await File.ReadAllTextAsync(result.TargetPageCopy);
        Assert.Equal(2, html.Split("✓ passed").Length - 1);
        Assert.Equal(1, html.Split("✗ refused").Length - 1);
        foreach (var v in result.TargetPage.Versions)
            Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(result.TargetPageCopy)!, v.Report)), $"the page's link {v.Report} leads nowhere locally");

        // The summary as printed to a log file: 80 columns, the refusal and its reason, the target page's path last.
        var log = new StringWriter();
        new SpectreProgress(SpectreProgress.CreateConsole(log, redirected: true)).Summary(result);
        var lines = log.ToString().TrimEnd().Split('\n');
        output.WriteLine(log.ToString());
        Assert.All(lines, l => Assert.True(l.Length <= SpectreProgress.LogWidth, $"wider than 80 columns: '{l}'"));
        Assert.Contains(lines, l => l.Contains("refused", StringComparison.Ordinal) && l.Contains("v0003", StringComparison.Ordinal));
        Assert.EndsWith(DemoRunner.Shown(result.TargetPageCopy), lines[^1].TrimEnd());
    }

    [SkippableFact]
    public async Task The_reports_and_the_target_page_render_in_chromium_with_their_text_and_drawn_charts()
    {
        Skip.If(HeadlessChromium.Unavailable is not null, HeadlessChromium.Unavailable);
        var (result, _) = await demo.RunAsync(azurite.ConnectionString);
        var shots = Path.Combine(RepoPaths.Root, "artifacts", "screenshots");
        Directory.CreateDirectory(shots);
        await using var browser = await HeadlessChromium.StartAsync(CancellationToken.None);

        var pages = new (string File, string Name, string[] Texts)[]
        {
            (result.Versions[0].LocalReportCopy, "report-v0001", ["Gate: passed — v0001 becomes latest", "On-policy rate of sampled answers", "Held-out pairs", "Training curves", "✓ on policy"]),
            (result.Versions[2].LocalReportCopy, "report-v0003", ["Gate: refused — latest stays v0002", "this version", "latest (v0002)", "flipped to rejected"]),
            (result.TargetPageCopy, "target-page", ["model versions", "latest: v0002", "v0003", "✗ refused"]),
        };
        foreach (var (file, name, texts) in pages)
        {
            await browser.OpenAsync(file, 1200, 900, CancellationToken.None);
            var text = (await browser.EvaluateAsync("document.body.innerText", CancellationToken.None))!.GetValue<string>();
            foreach (var expected in texts) Assert.Contains(expected, text);
            // Every chart is laid out and draws: each <svg> has a size and at least one path with a non-empty box.
            var charts = (await browser.EvaluateAsync(
                "[...document.querySelectorAll('svg')].map(s => { const r = s.getBoundingClientRect(); " +
                "const drawn = [...s.querySelectorAll('path')].filter(p => { const b = p.getBBox(); return (p.getAttribute('d') || '').length > 0 && (b.width > 0 || b.height > 0); }).length; " +
                "return { width: r.width, height: r.height, drawn }; })", CancellationToken.None))!.AsArray();
            Assert.NotEmpty(charts);
            Assert.All(charts, c =>
            {
                Assert.True(c!["width"]!.GetValue<double>() > 100 && c["height"]!.GetValue<double>() > 100, $"{name}: a chart without a size: {c}");
                Assert.True(c["drawn"]!.GetValue<int>() > 0, $"{name}: a chart that draws no path: {c}");
            });
            var png = Path.Combine(shots, name + ".png");
            await File.WriteAllBytesAsync(png, await browser.ScreenshotAsync(CancellationToken.None));
            output.WriteLine($"{name}: {charts.Count} charts drawn; screenshot {png}");
        }
    }

    [Fact]
    public async Task A_rerun_that_reuses_the_state_recognises_every_file_and_trains_nothing()
    {
        var (result, _) = await demo.RunAsync(azurite.ConnectionString);

        var again = await new DemoRunner(demo.Options(azurite.ConnectionString), new RecordingProgress()).RunAsync(reuse: true, CancellationToken.None);

        Assert.Equal(result.Datasets.Select(d => d.DatasetId), again.Datasets.Select(d => d.DatasetId));
        Assert.Equal(["v0001", "v0002", "v0003"], again.Versions.Select(v => v.Version));
        Assert.Equal([1, 2, 3], await new ModelVersionStore(azurite.BlobService()).ListNumbersAsync(Target, CancellationToken.None));
        Assert.Equal("v0002", again.Latest?.Version);
    }
}
