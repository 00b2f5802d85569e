// Every command-line entry point (validate, ingest, eval, train) on the worst hostile file of each container, each
// run as its own `pipeline` process under a 256 MB managed-heap cap: a clear reason and exit code, never a crash.
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Testing.Hostile;

namespace Pipeline.Cli.Tests.Hostile;

/// <summary>The corpus, written once for the class.</summary>
public sealed class HostileCorpusFolder : IDisposable
{
    private readonly TempDir _dir = new();

    public HostileCorpusFolder()
    {
        Files = HostileCorpus.Write(_dir.Path).ToDictionary(f => f.Name);
        Profile = _dir.File("profile.json");
        File.WriteAllText(Profile, HostileCorpus.ProfileJson);
    }

    public IReadOnlyDictionary<string, HostileFile> Files { get; }
    public string Profile { get; }
    public string PathOf(string name) => _dir.File(name);

    public void Dispose() => _dir.Dispose();
}

[Collection(AzuriteCollection.Name)]
public sealed class HostileCliTests(AzuriteFixture azurite, HostileCorpusFolder corpus) : IClassFixture<HostileCorpusFolder>
{
    public static TheoryData<string> Worst => [.. HostileCorpus.WorstPerContainer];

    /// <summary>Files eval and train stop at, and why: they stop at the first bad row, and their limits are the default
    /// profile's (2 GB after decompression, so the 1.1 GB line of the gzip bomb is a too_long row there). They keep every
    /// valid row in memory, so a file of endless valid rows is bounded by max_file_bytes, not by this cap.</summary>
    public static TheoryData<string, string> StopsEarly => new()
    {
        { "long-line.jsonl", "too_long" },
        { "bomb.jsonl.gz", "too_long" },
        { "huge-elements.json.gz", "too_long" },
        { "rows-1e8.parquet", "unreadable_file" },
        { "utf16.jsonl", "invalid_encoding" },
        { "lone-surrogate.jsonl", "invalid_encoding" },
    };

    [Theory]
    [MemberData(nameof(Worst))]
    public async Task Validate_reports_the_reason_and_exits_1_for_an_unusable_file(string name)
    {
        var file = corpus.Files[name];

        var run = await CappedProcess.RunAsync(CappedProcess.Cli, ["validate", corpus.PathOf(name), "--profile", corpus.Profile]);

        Assert.True(run.ExitCode == (file.Usable ? 0 : 1), run.ToString());
        Assert.Contains(file.Code, run.Stdout);
        Assert.Contains(file.MessagePart, run.Stdout);
    }

    [Theory]
    [MemberData(nameof(Worst))]
    public async Task Ingest_quarantines_an_unusable_file_with_its_reason_and_exits_1(string name)
    {
        var file = corpus.Files[name];
        var target = "hostile-" + Guid.NewGuid().ToString("N")[..8];
        var config = azurite.BlobService().GetBlobContainerClient(StorageLayout.Config);
        await config.CreateIfNotExistsAsync();
        await config.GetBlobClient(StorageLayout.TargetProfileBlob(target)).UploadAsync(BinaryData.FromString(HostileCorpus.ProfileJson));

        var run = await CappedProcess.RunAsync(CappedProcess.Cli, ["ingest", "--target", target, corpus.PathOf(name)],
            new Dictionary<string, string> { [StorageOptions.EnvironmentVariable] = azurite.ConnectionString });

        Assert.True(run.ExitCode == (file.Usable ? 0 : 1), run.ToString());
        Assert.Contains(file.Usable ? "Accepted" : "Quarantined", run.Stdout);
        Assert.Contains(file.Code, run.Stdout);
        if (!file.Usable)
            Assert.True(await azurite.BlobService().GetBlobContainerClient(StorageLayout.Quarantine)
                .GetBlobClient(StorageLayout.QuarantineReportBlob(target, name)).ExistsAsync());
    }

    [Theory]
    [MemberData(nameof(StopsEarly))]
    public async Task Eval_stops_at_the_first_bad_row_naming_it_and_exits_2(string name, string code)
    {
        using var output = new TempDir();

        var run = await CappedProcess.RunAsync(CappedProcess.Cli,
            ["eval", "--model", RepoPaths.TinyLlama, "--data", corpus.PathOf(name), "--output", output.File("report.json")]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"error: {corpus.PathOf(name)}", run.Stderr);
        Assert.Contains(code, run.Stderr);
    }

    [Theory]
    [InlineData("long-line.jsonl", "too_long")]
    [InlineData("rows-1e8.parquet", "unreadable_file")]
    public async Task Train_refuses_the_file_naming_the_reason_and_exits_2(string name, string code)
    {
        using var output = new TempDir();

        var run = await CappedProcess.RunAsync(CappedProcess.Cli,
            ["train", "--model", RepoPaths.TinyLlama, "--data", corpus.PathOf(name), "--output", output.File("run"), "--max_steps", "1"]);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(code, run.Stderr);
    }
}
