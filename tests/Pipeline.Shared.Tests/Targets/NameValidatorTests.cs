// The one name validator against look-alikes: what `$` let through ("abc\n"), Unicode confusables and invisible
// characters, dots, percent-encoding and very long names, at each place a caller's name enters.
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests.Targets;

public sealed class NameValidatorTests
{
    public static TheoryData<string, string> LookAlikeTargets => new()
    {
        { "support-bot\n", "trailing newline" },
        { "support-bot\r\n", "trailing CR LF" },
        { "support-bot ", "trailing space" },
        { "\u0455upport-bot", "Cyrillic dze for s" },
        { "support-b\u043et", "Cyrillic o" },
        { "ｓupport-bot", "fullwidth s" },
        { "support\u200B-bot", "zero-width space" },
        { "support-bot\u202E", "right-to-left override" },
        { "support\u00ADbot", "soft hyphen" },
        { "support.bot", "dot" },
        { "..", "dot dot" },
        { "support%2Dbot", "percent-encoding" },
        { "support-bot%0A", "percent-encoded newline" },
        { "Support-bot", "upper case" },
        { new string('a', 64), "64 characters" },
        { new string('a', 10_000), "very long" },
    };

    [Theory]
    [MemberData(nameof(LookAlikeTargets))]
    public void Refuses_look_alike_target_names(string name, string why) => Assert.True(TargetName.Problem(name) is not null, why);

    public static TheoryData<string, string> LookAlikeFileNames => new()
    {
        { "pairs.jsonl\n", "trailing newline" },
        { "pairs\u202Eldnosj.jsonl", "right-to-left override" },
        { "pairs\u200B.jsonl", "zero-width space" },
        { "p\u0430irs.jsonl", "Cyrillic a" },
        { "pairs.jsonl.", "trailing dot" },
        { "pairs..jsonl", "double dot" },
        { ".pairs.jsonl", "hidden file" },
        { "2026/../pairs.jsonl", "dot-dot folder" },
        { "%2e%2e/pairs.jsonl", "percent-encoded dot-dot" },
        { "pairs%2Ejsonl", "percent-encoding" },
        { "pairs .jsonl", "space" },
        { "-pairs.jsonl", "leading hyphen" },
        { "a/b/c/d/e/f/g/h/i.jsonl", "nine folder levels" },
        { new string('a', 250) + ".jsonl", "256 characters" },
    };

    [Theory]
    [MemberData(nameof(LookAlikeFileNames))]
    public void Refuses_look_alike_file_names(string name, string why) => Assert.True(TargetName.FileNameProblem(name) is not null, why);

    [Theory]
    [InlineData("pairs.jsonl")]
    [InlineData("2026/11/batch_01-final.jsonl.gz")]
    [InlineData("_drafts/x.parquet")]
    [InlineData("train-00000-of-00001.parquet")]
    public void Accepts_ordinary_file_names(string name) => Assert.Null(TargetName.FileNameProblem(name));

    [Fact]
    public void A_queue_message_for_a_look_alike_target_is_refused()
    {
        var json = new TrainingRequest { RequestId = "req-1", Target = "support-bot\n", DatasetIds = ["ds-1"] }.ToJson();
        var e = Assert.Throws<FormatException>(() => TrainingRequest.Parse(json));
        Assert.Contains("target name", e.Message);
    }

    [Fact]
    public void A_blob_path_with_a_look_alike_target_is_refused() =>
        Assert.Throws<ArgumentException>(() => StorageLayout.ParseIncoming("support-bot\n/pairs.jsonl"));

    [Fact]
    public void A_profile_naming_a_base_models_folder_that_escapes_is_invalid()
    {
        var e = Assert.Throws<FormatException>(() => TargetProfile.Parse("""{ "training": { "base_model": "base-models/../datasets" } }""", "p.json"));
        Assert.Contains("training.base_model", e.Message);
        Assert.Null(TargetProfile.Parse("""{ "training": { "base_model": "base-models/tiny-llama" } }""", "p.json").Training.Problems().FirstOrDefault());
    }

    [Fact]
    public void Messages_show_invisible_characters_escaped() =>
        Assert.Contains("\\u000A", TargetName.Problem("bot\n"));
}
