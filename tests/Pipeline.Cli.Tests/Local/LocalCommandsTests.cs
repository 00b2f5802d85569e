// `validate` and `ingest` behind the command line: exit codes 0 / 1 / 2, the report file, messages naming file and line.
using Pipeline.Cli.Local;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;

namespace Pipeline.Cli.Tests.Local;

[Collection(AzuriteCollection.Name)]
public sealed class LocalCommandsTests(AzuriteFixture azurite) : IDisposable
{
    private readonly TempDir _dir = new("validate-");
    private readonly StringWriter _out = new(), _err = new();

    private string Write(string name, string content)
    {
        var path = _dir.File(name);
        File.WriteAllText(path, content);
        return path;
    }

    private Task<int> Validate(ValidateArguments a) =>
        LocalCommands.ValidateAsync(a, TokenizerResolvers.Builtin, _out, _err, CancellationToken.None);

    [Fact]
    public async Task Validate_exits_zero_for_a_usable_file_and_writes_the_report()
    {
        var file = Write("ok.jsonl", PreferenceFiles.Pairs(10));
        var output = _dir.File("report.json");

        Assert.Equal(ExitCodes.Ok, await Validate(new ValidateArguments(file, Tokenizer: "gpt2", MaxLength: 64, Output: output)));

        var report = ValidationReport.FromJson(File.ReadAllText(output));
        Assert.Equal((true, 10L, "gpt2"), (report.Usable, report.RowsAccepted, report.Tokenizer));
        Assert.NotNull(report.TokenLengths);
        Assert.Contains(report.DatasetId!, _out.ToString());
    }

    [Fact]
    public async Task Validate_exits_one_for_an_unusable_file_naming_file_line_and_reason()
    {
        var file = Write("bad.jsonl", PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "A.", "B."), "{oops", "{oops"));
        Assert.Equal(ExitCodes.NotUsable, await Validate(new ValidateArguments(file)));
        Assert.Contains($"{file}:2: {ReasonCodes.MalformedJson}", _out.ToString());
        Assert.Contains(ReasonCodes.RejectedShareTooHigh, _out.ToString());
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("missing.jsonl", null, null)]
    [InlineData("ok.jsonl", "csv", null)]
    [InlineData("ok.jsonl", null, "/no/such/tokenizer")]
    public async Task Validate_exits_two_for_usage_errors(string? name, string? schema, string? tokenizer)
    {
        Write("ok.jsonl", PreferenceFiles.Pairs(2));
        var file = name is null ? null : _dir.File(name);
        Assert.Equal(ExitCodes.Usage, await Validate(new ValidateArguments(file, schema, tokenizer)));
        Assert.StartsWith("usage error:", _err.ToString());
    }

    [Fact]
    public async Task Validate_applies_a_local_profile_file()
    {
        var file = Write("ok.jsonl", PreferenceFiles.Pairs(12));
        var profile = Write("profile.json", """{ "min_rows": 20 }""");
        Assert.Equal(ExitCodes.NotUsable, await Validate(new ValidateArguments(file, Profile: profile)));
        Assert.Contains(ReasonCodes.TooFewRows, _out.ToString());
    }

    [Fact]
    public async Task Ingest_uploads_and_ingests_against_the_configured_storage()
    {
        var file = Write("cli-pairs.jsonl", PreferenceFiles.Pairs(10));
        var storage = new StorageOptions { ConnectionString = azurite.ConnectionString };
        var target = "cli-" + Guid.NewGuid().ToString("N")[..8];

        var first = await LocalCommands.IngestAsync(new IngestArguments(target, file), storage, TokenizerResolvers.Builtin, _out, _err, default);
        var again = await LocalCommands.IngestAsync(new IngestArguments(target, file), storage, TokenizerResolvers.Builtin, _out, _err, default);

        Assert.Equal((ExitCodes.Ok, ExitCodes.Ok), (first, again));
        Assert.Contains("Accepted", _out.ToString());
        Assert.Contains("AlreadyIngested", _out.ToString());
        var blobs = storage.BlobService().GetBlobContainerClient(StorageLayout.Datasets);
        Assert.Contains(blobs.GetBlobs(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = target + "/" }), b => b.Name.EndsWith("/train.jsonl"));
    }

    [Theory]
    [InlineData("Bad Target", "f.jsonl")]
    [InlineData("ok", null)]
    [InlineData("support-bot\n", "f.jsonl")]        // a look-alike: `$` let a trailing newline through
    [InlineData("support-b\u043et", "f.jsonl")]      // Cyrillic o
    [InlineData("ok", "f\u202Elnosj.jsonl")]          // right-to-left override in the file's name
    [InlineData("ok", "my pairs.jsonl")]
    public async Task Ingest_exits_two_for_usage_errors(string target, string? name)
    {
        var file = name is null ? null : Write(name, PreferenceFiles.Pairs(1));
        var storage = new StorageOptions { ConnectionString = azurite.ConnectionString };
        Assert.Equal(ExitCodes.Usage, await LocalCommands.IngestAsync(new IngestArguments(target, file), storage, TokenizerResolvers.Builtin, _out, _err, default));
    }

    public void Dispose() => _dir.Dispose();
}
