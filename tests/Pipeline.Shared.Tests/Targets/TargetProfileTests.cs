// Target names and profiles: strict names, snake_case profile JSON, unknown keys and bad values rejected clearly.
using Pipeline.Shared.Targets;

namespace Pipeline.Shared.Tests.Targets;

public sealed class TargetProfileTests
{
    [Theory]
    [InlineData("support-bot")]
    [InlineData("a")]
    [InlineData("model2")]
    public void Accepts_lower_case_target_names(string name) => Assert.Null(TargetName.Problem(name));

    [Theory]
    [InlineData("")]
    [InlineData("Support")]
    [InlineData("-bot")]
    [InlineData("bot-")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("a_b")]
    public void Rejects_target_names_outside_lower_case_letters_digits_and_hyphens(string name) => Assert.NotNull(TargetName.Problem(name));

    [Theory]
    [InlineData("../escape.jsonl", "leave")]
    [InlineData("a/../../b.jsonl", "leave")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("bad\u0001name.jsonl", "control")]
    [InlineData("a\\b.jsonl", "backslash")]
    [InlineData("a//b.jsonl", "empty path segment")]
    public void Rejects_file_names_that_try_to_escape_their_prefix(string name, string reason) =>
        Assert.Contains(reason, TargetName.FileNameProblem(name));

    [Fact]
    public void Accepts_nested_relative_file_names() => Assert.Null(TargetName.FileNameProblem("2026/11/pairs.jsonl"));

    [Fact]
    public void Parses_snake_case_profile_fields()
    {
        var p = TargetProfile.Parse("""
            { "schema": "mapped", "column_mapping": { "prompt": "input" }, "tokenizer": "gpt2", "max_length": 512,
              "too_long_policy": "reject_file", "eval_share": 0.2, "min_rows": 10, "max_rejected_share": 0.1,
              "max_file_bytes": 1000000 }
            """, "config/targets/t.json");
        Assert.Equal((SchemaNames.Mapped, "input", 512, TooLongPolicies.RejectFile, 0.2, 10, 0.1, 1_000_000L),
            (p.Schema, p.ColumnMapping!["prompt"], p.MaxLength!.Value, p.TooLongPolicy, p.EvalShare, p.MinRows, p.MaxRejectedShare, p.MaxFileBytes));
    }

    [Fact]
    public void Rejects_unknown_profile_keys_naming_the_file_and_key()
    {
        var e = Assert.Throws<FormatException>(() => TargetProfile.Parse("""{ "max_lenght": 512 }""", "config/targets/t.json"));
        Assert.Contains("config/targets/t.json", e.Message);
        Assert.Contains("max_lenght", e.Message);
    }

    [Theory]
    [InlineData("""{ "eval_share": 0.9 }""", "eval_share")]
    [InlineData("""{ "too_long_policy": "cut" }""", "too_long_policy")]
    [InlineData("""{ "schema": "csv" }""", "schema")]
    [InlineData("""{ "column_mapping": { "answer": "x" } }""", "column_mapping")]
    [InlineData("""{ "min_rows": 0 }""", "min_rows")]
    public void Rejects_out_of_range_profile_values(string json, string field) =>
        Assert.Contains(field, Assert.Throws<FormatException>(() => TargetProfile.Parse(json, "p.json")).Message);

    [Fact]
    public void Round_trips_through_json()
    {
        var p = new TargetProfile { MaxLength = 128, Tokenizer = "gpt2" };
        Assert.Equal(p.ToJson(), TargetProfile.Parse(p.ToJson(), "p.json").ToJson());
    }
}
