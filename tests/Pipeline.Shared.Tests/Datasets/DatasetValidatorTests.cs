// File-level validation: line numbers, content-addressed ids, the split, duplicates, length limits, usability.
using System.Text;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class DatasetValidatorTests
{
    [Fact]
    public async Task Reports_every_rejected_row_with_its_one_based_line_number()
    {
        var file = PreferenceFiles.Lines(
            PreferenceFiles.Standard("Q1?", "A.", "B."),
            "{not json",
            "",
            PreferenceFiles.Standard("Q2?", "Same.", "Same."),
            PreferenceFiles.Standard("Q3?", "C.", "D."));
        var report = (await PreferenceFiles.Validate(file, profile: new TargetProfile { MaxRejectedShare = 1, MinRows = 1 })).Report;

        Assert.Equal(4, report.RowsRead); // the blank line 3 is not a row but keeps numbering right
        Assert.Equal(2, report.RowsAccepted);
        Assert.Equal([(2L, ReasonCodes.MalformedJson), (4L, ReasonCodes.IdenticalPair)], report.Rejections.Select(r => (r.Line, r.Reason)));
        Assert.Equal(1, report.Reasons[ReasonCodes.MalformedJson]);
        Assert.True(report.Usable);
    }

    [Fact]
    public async Task Same_rows_under_any_file_name_or_container_give_the_same_dataset_id()
    {
        var a = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(20), "a.jsonl")).Report;
        var b = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(20), "other-name.jsonl")).Report;
        var asArray = "[" + string.Join(",", PreferenceFiles.Pairs(20).Split('\n', StringSplitOptions.RemoveEmptyEntries)) + "]";
        var c = (await PreferenceFiles.Validate(asArray, "c.json")).Report;
        var different = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(20, offset: 1), "a.jsonl")).Report;

        Assert.StartsWith("ds-", a.DatasetId);
        Assert.Equal(19, a.DatasetId!.Length);
        Assert.Equal(a.DatasetId, b.DatasetId);
        Assert.Equal(a.DatasetId, c.DatasetId);
        Assert.NotEqual(a.DatasetId, different.DatasetId);
    }

    [Fact]
    public async Task Splits_by_prompt_hash_so_one_prompt_never_lands_in_both_splits()
    {
        // Each prompt appears with three different completions; the split must keep them together.
        var rows = Enumerable.Range(0, 200).SelectMany(i => Enumerable.Range(0, 3)
            .Select(j => PreferenceFiles.Standard($"Prompt {i}", $"Good {i}.{j}", $"Bad {i}.{j}"))).ToArray();
        var train = new MemoryStream();
        var eval = new MemoryStream();
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(rows), profile: new TargetProfile { EvalShare = 0.2 }, sinks: new DatasetSinks(train, eval))).Report;

        var trainPrompts = Prompts(train);
        var evalPrompts = Prompts(eval);
        Assert.Empty(trainPrompts.Intersect(evalPrompts));
        Assert.Equal(600, report.TrainRows + report.EvalRows);
        Assert.InRange(report.EvalRows, 60, 180); // 20% of 600 = 120, binomial over 200 prompts
        Assert.Equal(report.EvalRows, evalPrompts.Count * 3);

        var again = new MemoryStream();
        await PreferenceFiles.Validate(PreferenceFiles.Lines(rows), profile: new TargetProfile { EvalShare = 0.2 }, sinks: new DatasetSinks(Stream.Null, again));
        Assert.Equal(eval.ToArray(), again.ToArray());

        static HashSet<string> Prompts(MemoryStream s) =>
            Encoding.UTF8.GetString(s.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => PreferencePair.FromJsonLine(Encoding.UTF8.GetBytes(l)).Prompt[0].Content).ToHashSet();
    }

    [Fact]
    public async Task Writes_standard_rows_as_raw_text_and_a_system_row_as_a_conversation()
    {
        var train = new MemoryStream();
        var file = PreferenceFiles.Lines(
            PreferenceFiles.Standard("Q1?", "A.", "B."),
            PreferenceFiles.Standard("Q2 \"quoted\"?", "C.", "D."),
            PreferenceFiles.Standard("Q3?", "E.", "F.", system: "Be brief."));
        await PreferenceFiles.Validate(file, profile: new TargetProfile { EvalShare = 0, MinRows = 1 }, sinks: new DatasetSinks(train, Stream.Null));

        var lines = Encoding.UTF8.GetString(train.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("""{"prompt":"Q1?","chosen":"A.","rejected":"B."}""", lines[0]);
        Assert.Equal("""{"prompt":"Q2 \"quoted\"?","chosen":"C.","rejected":"D."}""", lines[1]);
        Assert.StartsWith("""{"prompt":[{"role":"system","content":"Be brief."},{"role":"user","content":"Q3?"}]""", lines[2]);
    }

    [Fact]
    public async Task Rejects_duplicate_pair_within_the_file_naming_the_first_line()
    {
        var row = PreferenceFiles.Standard("Q?", "A.", "B.");
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(row, PreferenceFiles.Standard("R?", "A.", "B."), row))).Report;
        var rejection = PreferenceFiles.Only(report);
        Assert.Equal((3L, ReasonCodes.DuplicatePair), (rejection.Line, rejection.Reason));
        Assert.Contains("line 1", rejection.Message);
    }

    [Fact]
    public async Task Rejects_pairs_already_in_an_earlier_dataset_of_the_target()
    {
        var first = await PreferenceFiles.Validate(PreferenceFiles.Pairs(10));
        var settings = new ValidationSettings { KnownPairs = first.PairHashes.ToHashSet() };
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(12), settings: settings with { Profile = new TargetProfile { MaxRejectedShare = 1 } })).Report;
        Assert.Equal(2, report.RowsAccepted);
        Assert.Equal(10, report.Reasons[ReasonCodes.DuplicatePair]);
    }

    [Fact]
    public async Task Drops_rows_over_the_character_limit_when_no_tokenizer_is_configured_and_the_policy_says_drop()
    {
        var file = PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "Short.", "Bad."), PreferenceFiles.Standard("Q2?", new string('x', 200), "Bad."));
        var report = (await PreferenceFiles.Validate(file, profile: new TargetProfile { MaxChars = 100, MinRows = 1, TooLongPolicy = TooLongPolicies.Drop })).Report;
        Assert.True(report.Usable);
        Assert.Equal((2L, ReasonCodes.TooLong), (PreferenceFiles.Only(report).Line, PreferenceFiles.Only(report).Reason));
        Assert.Contains("characters", PreferenceFiles.Only(report).Message);
    }

    [Fact]
    public async Task Rejects_the_whole_file_for_a_long_row_when_the_policy_says_reject_file()
    {
        var file = PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "Short.", "Bad."), PreferenceFiles.Standard("Q2?", new string('x', 200), "Bad."));
        var report = (await PreferenceFiles.Validate(file, profile: new TargetProfile { MaxChars = 100, TooLongPolicy = TooLongPolicies.RejectFile })).Report;
        Assert.False(report.Usable);
        Assert.Contains(report.FileProblems, p => p.Code == ReasonCodes.TooLong);
        Assert.Null(report.DatasetId);
    }

    [Fact]
    public async Task Counts_tokens_with_the_configured_tokenizer_and_reports_percentiles()
    {
        var tokenizer = new Gpt2TextTokenizer();
        // GPT-2: "Hello world" is 2 tokens; " world" repeated 30 times is 30 tokens.
        var longAnswer = string.Concat(Enumerable.Repeat(" world", 30));
        var file = PreferenceFiles.Lines(PreferenceFiles.Standard("Hello world", "Fine.", "Bad."), PreferenceFiles.Standard("Hello world", longAnswer, "Bad."));
        var settings = new ValidationSettings { Tokenizer = tokenizer, TokenizerName = "gpt2", Profile = new TargetProfile { MaxLength = 20, TooLongPolicy = TooLongPolicies.Drop } };
        var report = (await PreferenceFiles.Validate(file, settings: settings)).Report;

        Assert.Equal(2 + 2, tokenizer.CountTokens("Hello world") + tokenizer.CountTokens("Fine."));
        Assert.Equal(30, tokenizer.CountTokens(longAnswer));
        var rejection = PreferenceFiles.Only(report);
        Assert.Equal(ReasonCodes.TooLong, rejection.Reason);
        Assert.Contains("32 tokens", rejection.Message);
        Assert.Equal(new LengthStats("tokens", 4, 4, 4, 4), report.TokenLengths);
        Assert.Equal("gpt2", report.Tokenizer);
    }

    [Fact]
    public async Task Keeps_rows_over_max_length_by_default_and_counts_them_as_truncated()
    {
        var longAnswer = string.Concat(Enumerable.Repeat(" world", 30)); // 30 GPT-2 tokens: the row is 32, 12 over 20
        var file = PreferenceFiles.Lines(PreferenceFiles.Standard("Hello world", "Fine.", "Bad."), PreferenceFiles.Standard("Hello world", longAnswer, "Bad."));
        var settings = new ValidationSettings { Tokenizer = new Gpt2TextTokenizer(), Profile = new TargetProfile { MaxLength = 20, MinRows = 1 } };

        var report = (await PreferenceFiles.Validate(file, settings: settings)).Report;

        Assert.Equal(TooLongPolicies.Truncate, TargetProfile.Default.TooLongPolicy);
        Assert.Equal((2L, 0L), (report.RowsAccepted, report.RowsRejected));
        Assert.Equal((1L, 12L), (report.TruncatedRows, report.TruncatedLength));
        Assert.Contains("\"truncated_rows\": 1", report.ToJson());
        Assert.Contains("1 rows are over the limit by 12 tokens in all", ValidationReportMarkdown.Render(report));
    }

    [Fact]
    public async Task A_two_row_file_is_not_usable_under_the_default_profile_but_ten_rows_are()
    {
        var two = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(2))).Report;
        var ten = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(10))).Report;

        Assert.False(two.Usable);
        Assert.Equal(ReasonCodes.TooFewRows, Assert.Single(two.FileProblems).Code);
        Assert.Null(two.DatasetId);
        Assert.True(ten.Usable);
        Assert.Equal(10, TargetProfile.Default.MinRows);
    }

    [Fact]
    public async Task Makes_the_file_unusable_when_too_many_rows_are_rejected()
    {
        var file = PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "A.", "B."), "garbage", "garbage", "garbage");
        var report = (await PreferenceFiles.Validate(file, profile: new TargetProfile { MaxRejectedShare = 0.5, MinRows = 1 })).Report;
        Assert.False(report.Usable);
        Assert.Equal(ReasonCodes.RejectedShareTooHigh, Assert.Single(report.FileProblems).Code);
        Assert.Contains("3 of 4", report.FileProblems[0].Message);
    }

    [Fact]
    public async Task Makes_the_file_unusable_when_it_has_fewer_valid_rows_than_the_minimum()
    {
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Pairs(3), profile: new TargetProfile { MinRows = 5 })).Report;
        Assert.False(report.Usable);
        Assert.Equal(ReasonCodes.TooFewRows, Assert.Single(report.FileProblems).Code);
    }

    [Fact]
    public async Task Keeps_the_first_rows_schema_and_rejects_rows_of_another_schema()
    {
        var conversational = """{"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"A"}],"rejected":[{"role":"assistant","content":"B"}]}""";
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(PreferenceFiles.Standard("Q?", "A.", "B."), conversational, PreferenceFiles.Standard("R?", "A.", "B.")))).Report;
        Assert.Equal(SchemaNames.Standard, report.Schema);
        var rejection = PreferenceFiles.Only(report);
        Assert.Equal((2L, ReasonCodes.UnknownSchema), (rejection.Line, rejection.Reason));
        Assert.Contains("mixed schemas", rejection.Message);
    }

    [Fact]
    public async Task Keeps_row_order_and_line_numbers_across_many_parallel_batches()
    {
        // 5,000 rows span several batches validated in parallel; every 7th row is broken.
        var rows = Enumerable.Range(1, 5000).Select(i => i % 7 == 0 ? "oops" : PreferenceFiles.Standard($"Q{i}?", "A.", "B.")).ToArray();
        var report = (await PreferenceFiles.Validate(PreferenceFiles.Lines(rows), settings: new ValidationSettings { Parallelism = 4 })).Report;
        var expected = Enumerable.Range(1, 5000).Where(i => i % 7 == 0).Take(ValidationReport.RejectionsPerReason).Select(i => (long)i);
        Assert.Equal(expected, report.Rejections.Select(r => r.Line));
        Assert.Equal(5000 / 7, report.Reasons[ReasonCodes.MalformedJson]);
    }

    [Fact]
    public async Task Counts_the_same_tokens_on_every_core_as_on_one()
    {
        // The shared tokenizer is called from several validation threads at once; counts must not change.
        var rows = Enumerable.Range(0, 3000).Select(i => PreferenceFiles.Standard($"Question {i} about {new string('x', i % 50)}?", $"Answer {i} is {i * 7}.", $"No idea {i}.")).ToArray();
        var tokenizer = new Gpt2TextTokenizer();
        var serial = new MemoryStream();
        var parallel = new MemoryStream();
        var one = (await PreferenceFiles.Validate(PreferenceFiles.Lines(rows), sinks: new DatasetSinks(serial, Stream.Null), settings: new ValidationSettings { Tokenizer = tokenizer, Parallelism = 1 })).Report;
        var many = (await PreferenceFiles.Validate(PreferenceFiles.Lines(rows), sinks: new DatasetSinks(parallel, Stream.Null), settings: new ValidationSettings { Tokenizer = tokenizer, Parallelism = 4 })).Report;

        Assert.Equal(one.TokenLengths, many.TokenLengths);
        Assert.Equal(one.DatasetId, many.DatasetId);
        Assert.Equal(serial.ToArray(), parallel.ToArray());
        var expectedMax = rows.Select(r => System.Text.Json.JsonDocument.Parse(r).RootElement).Max(e =>
            tokenizer.CountTokens(e.GetProperty("prompt").GetString()!) +
            Math.Max(tokenizer.CountTokens(e.GetProperty("chosen").GetString()!), tokenizer.CountTokens(e.GetProperty("rejected").GetString()!)));
        Assert.Equal(expectedMax, many.TokenLengths!.Max);
    }
}
