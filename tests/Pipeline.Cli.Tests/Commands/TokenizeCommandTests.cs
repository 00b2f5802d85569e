// `pipeline tokenize`, run through the real command line: one JSON line per pair with the ids training uses.
using System.Text.Json;
using Pipeline.Cli.Commands;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;

namespace Pipeline.Cli.Tests.Commands;

[Collection(nameof(GlobalStateCollection))]
public sealed class TokenizeCommandTests
{
    private static readonly string Data = Path.Combine(RepoPaths.TinyLlama, "data.jsonl");

    private static async Task<List<JsonElement>> Tokenize(params string[] args)
    {
        using var scratch = new TempDir();
        var output = scratch.File("tokens.jsonl");
        var code = await CommandLine.RunAsync(["tokenize", .. args, "--output", output]);
        Assert.Equal(0, code);
        return [.. File.ReadAllLines(output).Select(l => JsonDocument.Parse(l).RootElement)];
    }

    private static int[] Ids(JsonElement e, string part) => [.. e.GetProperty(part).GetProperty("ids").EnumerateArray().Select(x => x.GetInt32())];

    [Fact]
    public async Task Prints_per_pair_the_ids_training_uses_with_truncation_and_bos_eos()
    {
        var lines = await Tokenize("--model", RepoPaths.TinyLlama, Data, "--max-length", "45");

        var training = TokenizedData.From(PreferenceData.Load(Data), TrainingFixture.Tokenizer, 45, OverlongPolicy.Truncate);
        Assert.Equal(training.Pairs.Count, lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var p = training.Pairs[i];
            Assert.Equal(training.Lines[i], lines[i].GetProperty("line").GetInt32());
            Assert.Equal(p.ChosenIds[..p.ChosenPromptLength], Ids(lines[i], "prompt"));
            Assert.Equal(p.ChosenIds[p.ChosenPromptLength..], Ids(lines[i], "chosen"));
            Assert.Equal(p.RejectedIds[p.RejectedPromptLength..], Ids(lines[i], "rejected"));
        }
        // Line 2 is cut to fit 45 tokens: only BOS is left of its prompt.
        Assert.Equal(["<|begin_of_text|>"], lines[1].GetProperty("prompt").GetProperty("pieces").EnumerateArray().Select(x => x.GetString()));
        Assert.True(lines[1].GetProperty("truncated_tokens").GetInt32() > 0);
        // Uncut (default max_length 1024), completions end with EOS, and the pieces are the decoded ids.
        var first = (await Tokenize("--model", RepoPaths.TinyLlama, Data))[0];
        Assert.Equal(TrainingFixture.Tokenizer.EosTokenId, Ids(first, "chosen")[^1]);
        Assert.Equal(TrainingFixture.Tokenizer.Decode(Ids(first, "chosen")),
            string.Concat(first.GetProperty("chosen").GetProperty("pieces").EnumerateArray().Select(x => x.GetString())));
    }

    [Fact]
    public async Task Renders_conversations_through_the_chat_template_and_reports_dropped_pairs()
    {
        using var model = new TempDir();
        ModelInit.Write(new InitModelOptions("tiny", model.Path, 3));
        using var scratch = new TempDir();
        var data = scratch.File("chat.jsonl");
        File.WriteAllText(data, """
            {"prompt":[{"role":"user","content":"Hi?"}],"chosen":[{"role":"assistant","content":"Hello!"}],"rejected":[{"role":"assistant","content":"Go away."}]}
            {"prompt":"Hi?","chosen":"Hello!","rejected":"Go away."}
            """);

        var lines = await Tokenize("--model", model.Path, data);
        var drop = await Tokenize("--model", model.Path, data, "--max-length", "8", "--overlong_pairs", "drop");

        var tokenizer = HfTokenizer.Load(model.Path);
        Assert.Equal([tokenizer.BosTokenId!.Value, .. tokenizer.EncodeWithSpecialTokens("<|im_start|>user\nHi?<|im_end|>\n<|im_start|>assistant\n")],
            Ids(lines[0], "prompt"));
        Assert.Equal([tokenizer.BosTokenId!.Value, .. tokenizer.EncodeWithSpecialTokens("Hi?")], Ids(lines[1], "prompt")); // raw text
        Assert.StartsWith("longer than max_length 8", drop[0].GetProperty("dropped").GetString());
        Assert.True(drop[1].TryGetProperty("chosen", out _)); // the raw-text pair is 7 tokens
    }
}
