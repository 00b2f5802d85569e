// The DOM-free fast path must agree with RowParser's DOM path byte for byte: same accepted lines, same lengths, and
// it must hand every row the DOM path rejects (or reads otherwise) back to it.
using System.Text;
using System.Text.Json;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Datasets;

public sealed class StandardRowWriterTests
{
    private static readonly Gpt2TextTokenizer Tokenizer = new();

    /// <summary>What each path makes of a row: the normalised line, prompt prefix length, chars and tokens, or null.</summary>
    private sealed record Verdict(string Line, int PromptBytes, int Chars, int Tokens);

    private static Verdict? Fast(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Null(RowParser.CheckBytes(bytes));
        var output = new PooledBuffer(16);
        using var writer = new Utf8JsonWriter(output, PreferencePair.WriterOptions);
        if (!StandardRowWriter.TryWrite(bytes, writer, output, Tokenizer, out var row))
        {
            Assert.Equal(0, output.WrittenCount); // declining writes nothing
            return null;
        }
        return new Verdict(Encoding.UTF8.GetString(output.WrittenSpan), row.PromptBytes, row.Chars, row.Tokens);
    }

    private static Verdict? Dom(string json, string? schema = null)
    {
        var parsed = new RowParser(schema, null).ParseJson(Encoding.UTF8.GetBytes(json));
        if (parsed.Reason is not null || parsed.Schema != SchemaNames.Standard) return null;
        var p = parsed.Pair!;
        var line = p.ToJsonLine(out var promptBytes);
        int Chars(IReadOnlyList<ChatMessage> m) => m.Sum(x => x.Content.Length);
        int Tokens(IReadOnlyList<ChatMessage> m) => m.Sum(x => Tokenizer.CountTokens(x.Content));
        return new Verdict(Encoding.UTF8.GetString(line), promptBytes,
            Chars(p.Prompt) + Math.Max(Chars(p.Chosen), Chars(p.Rejected)), Tokens(p.Prompt) + Math.Max(Tokens(p.Chosen), Tokens(p.Rejected)));
    }

    // Texts that stress escaping and decoding: JSON escapes, HTML-sensitive characters, accents, CJK, emoji
    // (a surrogate pair), line and paragraph separators, a no-break space inside text, quotes and backslashes.
    public static TheoryData<string> Texts => new(
        "Plain text.", "Tab\there, newline\nthere, CR\r.", "Quote \" and backslash \\ and slash /.", "<b>&amp;</b> 'single'",
        "Café naïve façade", "中文文本，标点。", "Emoji 😀 and 👍🏽 here", "Line\u2028and\u2029para", "no\u00a0break space",
        "«guillemets» ©2026 ±1°", "  padded  ", "x");

    [Theory]
    [MemberData(nameof(Texts))]
    public void Writes_the_same_line_as_the_DOM_path_for_text_with_escapes_and_unicode(string text)
    {
        var encoders = new[] { new JsonSerializerOptions(), new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping } };
        foreach (var options in encoders)
        {
            foreach (var system in new[] { null, "", text })
            {
                var fields = new Dictionary<string, string?> { ["id"] = "7", ["prompt"] = text + "?", ["chosen"] = "Yes: " + text, ["rejected"] = "No: " + text };
                if (system is not null) fields["system"] = system;
                var json = JsonSerializer.Serialize(fields, options);
                var dom = Dom(json);
                Assert.NotNull(dom);
                Assert.Equal(dom, Fast(json));
            }
        }
    }

    [Theory]
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.","system":null}""")]
    [InlineData("""{"rejected":"B.","meta":{"a":[1,2,{"b":null}]},"chosen":"A.","prompt":"Hi?","score":0.5}""")]
    [InlineData("""  {"prompt":"Hi?", "chosen":"A." , "rejected":"B."}  """)]
    [InlineData("""{"pr\u006fmpt":"Hi?","chosen":"A.","rejected":"B."}""")]
    public void Takes_the_fast_path_for_valid_rows_in_any_field_order_with_extra_fields(string json)
    {
        var fast = Fast(json);
        Assert.NotNull(fast);
        Assert.Equal(Dom(json), fast);
    }

    [Theory]
    [InlineData("""{"prompt":"Hi?","chosen":"A."}""")]                                  // missing_field
    [InlineData("""{"prompt":"Hi?","chosen":42,"rejected":"B."}""")]                   // wrong_type
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.","system":1}""")]      // wrong_type (system)
    [InlineData("""{"prompt":"   ","chosen":"A.","rejected":"B."}""")]                 // empty_field
    [InlineData("""{"prompt":"","chosen":"A.","rejected":"B."}""")]                    // empty_field
    [InlineData("""{"prompt":"\u00a0\u3000","chosen":"A.","rejected":"B."}""")]        // empty_field (Unicode spaces)
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.","system":" \t"}""")]  // empty_field (system)
    [InlineData("""{"prompt":"Hi\u0001?","chosen":"A.","rejected":"B."}""")]           // invalid_encoding (escaped C0)
    [InlineData("""{"prompt":"Hi\u007f?","chosen":"A.","rejected":"B."}""")]           // invalid_encoding (DEL)
    [InlineData("""{"prompt":"Hi\u0085?","chosen":"A.","rejected":"B."}""")]           // invalid_encoding (C1)
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.","system":"S\u009f"}""")] // invalid_encoding (C1, system)
    [InlineData("""{"prompt":"Hi\ud800?","chosen":"A.","rejected":"B."}""")]           // invalid_encoding (lone surrogate)
    [InlineData("""{"prompt":"Hi?","chosen":"Same  answer.","rejected":" Same\nanswer. "}""")]    // identical_pair
    [InlineData("""{"prompt":"Hi?","chosen":"Same\u00a0answer.","rejected":"Same answer."}""")]   // identical_pair (NBSP)
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.",}""")]                // malformed_json
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B."} x""")]               // malformed_json (trailing)
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B."}{}""")]               // malformed_json (two values)
    [InlineData("""{"prompt":"Hi?","chosen":"A.","rejected":"B.","x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}""")] // too deep
    [InlineData("""[1,2,3]""")]                                                         // wrong_type
    [InlineData("""{"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"A"}],"rejected":[{"role":"assistant","content":"B"}]}""")] // conversational
    [InlineData("""{"prompt":"Hi?","input":{"messages":[]},"chosen":"A.","rejected":"B."}""")] // OpenAI detection wins
    [InlineData("""{"prompt":"One?","prompt":"Two?","chosen":"A.","rejected":"B."}""")] // repeated field
    public void Hands_back_every_row_the_DOM_path_rejects_or_reads_as_another_schema(string json)
    {
        Assert.Null(Fast(json));
    }

    [Fact]
    public void Agrees_with_the_DOM_path_on_thousands_of_random_rows()
    {
        // Random rows from pieces that hit every check: whitespace kinds, controls, escapes, multi-byte text.
        string[] pieces = ["a", "Hello", " ", "  ", "\t", "\n", "\u00a0", "\u2003", "é", "中", "😀", "\"", "\\", "<&>",
            "\u0001", "\u007f", "\u0085", "\u00a9", "\u2028", "."];
        var rng = new Random(1234);
        string Text() => string.Concat(Enumerable.Range(0, rng.Next(0, 5)).Select(_ => pieces[rng.Next(pieces.Length)]));
        int fastAccepted = 0, domAccepted = 0;
        for (var i = 0; i < 4000; i++)
        {
            var fields = new Dictionary<string, string> { ["prompt"] = Text(), ["chosen"] = Text(), ["rejected"] = rng.Next(4) == 0 ? "" : Text() };
            if (rng.Next(3) == 0) fields["system"] = Text();
            var json = JsonSerializer.Serialize(fields, new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
            if (RowParser.CheckBytes(Encoding.UTF8.GetBytes(json)) is not null) continue;
            var dom = Dom(json);
            var fast = Fast(json);
            if (fast is not null) Assert.Equal(dom, fast);
            else if (dom is not null) // only a field starting with non-ASCII whitespace may send a valid row to the DOM path
                Assert.Contains(fields.Values, v => v.TrimStart(' ', '\t', '\n').FirstOrDefault() is > '\x7f' and var c && char.IsWhiteSpace(c));
            fastAccepted += fast is null ? 0 : 1;
            domAccepted += dom is null ? 0 : 1;
        }
        Assert.True(domAccepted > 200 && fastAccepted > domAccepted / 2, $"{domAccepted} valid rows generated, {fastAccepted} on the fast path");
    }

    [Fact]
    public async Task Gives_the_same_dataset_id_lines_and_lengths_as_the_DOM_path_end_to_end()
    {
        // An identity column mapping reads the same rows through the DOM path only.
        var rows = Enumerable.Range(0, 1500).Select(i => PreferenceFiles.Standard($"Question {i} «é» 😀?", $"Good <answer> {i}.", $"Bad \"answer\" {i}.", i % 3 == 0 ? "Be brief." : null)).ToArray();
        var file = PreferenceFiles.Lines(rows);
        var profile = new TargetProfile { EvalShare = 0.25 };
        var mapped = profile with { ColumnMapping = new Dictionary<string, string> { ["prompt"] = "prompt" } };
        var (fastTrain, fastEval, domTrain, domEval) = (new MemoryStream(), new MemoryStream(), new MemoryStream(), new MemoryStream());

        var fast = (await PreferenceFiles.Validate(file, profile: profile, sinks: new DatasetSinks(fastTrain, fastEval))).Report;
        var dom = (await PreferenceFiles.Validate(file, profile: mapped, sinks: new DatasetSinks(domTrain, domEval))).Report;

        Assert.Equal(SchemaNames.Standard, fast.Schema);
        Assert.Equal(SchemaNames.Mapped, dom.Schema);
        Assert.Equal(dom.DatasetId, fast.DatasetId);
        Assert.Equal(dom.CharLengths, fast.CharLengths);
        Assert.Equal((dom.TrainRows, dom.EvalRows), (fast.TrainRows, fast.EvalRows));
        Assert.Equal(domTrain.ToArray(), fastTrain.ToArray());
        Assert.Equal(domEval.ToArray(), fastEval.ToArray());
    }
}
