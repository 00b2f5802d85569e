// Truncation that keeps the data: no pair dropped for length by default; the prompt is cut from the left (BOS and the
// assistant header stay), then completions from the right; TRL's max_prompt_length, max_completion_length and
// truncation_mode; pairs that cannot fit are dropped and counted.
using Pipeline.Shared.Orpo;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Tests.Model;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Data;

public sealed class TruncationTests(TinyTokenizerFolder Dir) : IClassFixture<TinyTokenizerFolder>
{
    private static readonly HfTokenizer TinyLlama = TrainingFixture.Tokenizer;
    private static IReadOnlyList<PreferenceRow> Rows => PreferenceData.Load(Path.Combine(RepoPaths.TinyLlama, "data.jsonl"));

    [Fact]
    public void The_default_policy_keeps_every_pair_and_counts_the_cut_pairs_and_tokens()
    {
        var whole = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Drop);
        // Pair 2's chosen completion is 48 tokens: only cutting the completion too makes it fit 45.
        var cut = TokenizedData.From(Rows, TinyLlama, 45, new OrpoConfig().Overlong);

        Assert.Empty(cut.Dropped);
        Assert.Equal(whole.Pairs.Count, cut.Pairs.Count);
        Assert.All(cut.Pairs, p => Assert.True(p.Length <= 45 && p.ChosenIds[0] == TinyLlama.BosTokenId));
        var lost = whole.Pairs.Zip(cut.Pairs).Select(x => x.First.Tokens - x.Second.Tokens).ToList();
        Assert.Equal(lost.Count(n => n > 0), cut.TruncatedPairs);
        Assert.Equal(lost.Sum(), cut.TruncatedTokens);
        Assert.True(cut.TruncatedPairs > 0);
    }

    [Fact]
    public void The_prompt_goes_first_then_each_completion_is_cut_from_the_right()
    {
        var whole = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Drop).Pairs[1]; // line 2
        var p = TokenizedData.From(Rows, TinyLlama, 45, OverlongPolicy.Truncate).Pairs[1];

        Assert.Equal(1, p.ChosenPromptLength); // only BOS is left of the prompt
        Assert.Equal(45, p.ChosenIds.Length);
        Assert.Equal(whole.ChosenIds[whole.ChosenPromptLength..][..44], p.ChosenIds[1..]);
        Assert.Equal(whole.RejectedIds[whole.RejectedPromptLength..], p.RejectedIds[1..]); // short enough: whole
    }

    [Fact]
    public void A_cut_templated_prompt_keeps_bos_and_the_assistant_header()
    {
        var tokenizer = HfTokenizer.Load(Dir.Value);
        var chat = PreferenceData.ChatFor(tokenizer)!;
        using var scratch = new TempDir();
        var path = scratch.File("long.jsonl");
        var question = string.Join(' ', Enumerable.Repeat("Where is my parcel, please?", 30));
        File.WriteAllText(path, $$"""{"prompt":[{"role":"user","content":"{{question}}"}],"chosen":[{"role":"assistant","content":"It left the depot."}],"rejected":[{"role":"assistant","content":"Ask the courier."}]}""");

        var data = TokenizedData.From(PreferenceData.Load(path, chat), tokenizer, 40, OverlongPolicy.Truncate);

        var p = Assert.Single(data.Pairs);
        var header = tokenizer.EncodeWithSpecialTokens("<|im_start|>assistant\n");
        Assert.Equal(tokenizer.BosTokenId, p.ChosenIds[0]);
        Assert.Equal(header, p.ChosenIds[(p.ChosenPromptLength - header.Count)..p.ChosenPromptLength]);
        // The completion is whole, EOS appended after the template's trailing newline (TRL add_eos_token_if_needed).
        Assert.Equal([.. tokenizer.EncodeWithSpecialTokens("It left the depot.<|im_end|>\n"), tokenizer.EosTokenId!.Value], p.ChosenIds[p.ChosenPromptLength..]);
        Assert.True(p.Length <= 40);
        Assert.Equal(1, data.TruncatedPairs);
    }

    [Fact]
    public void Keep_start_cuts_a_templated_prompts_end_but_keeps_its_assistant_header()
    {
        var tokenizer = HfTokenizer.Load(Dir.Value);
        using var scratch = new TempDir();
        var path = scratch.File("long.jsonl");
        var question = string.Join(' ', Enumerable.Repeat("Where is my parcel, please?", 10));
        File.WriteAllText(path, $$"""{"prompt":[{"role":"user","content":"{{question}}"}],"chosen":[{"role":"assistant","content":"It left."}],"rejected":[{"role":"assistant","content":"Ask."}]}""");
        var rows = PreferenceData.Load(path, PreferenceData.ChatFor(tokenizer)!);

        var whole = TokenizedData.From(rows, tokenizer, 1024, OverlongPolicy.Drop).Pairs[0];
        var p = TokenizedData.From(rows, tokenizer, 1024, OverlongPolicy.Truncate with { MaxPromptLength = 12, KeepStart = true }).Pairs[0];

        var header = tokenizer.EncodeWithSpecialTokens("<|im_start|>assistant\n").Count;
        Assert.Equal(12, p.ChosenPromptLength);
        Assert.Equal(whole.ChosenIds[..(12 - header)], p.ChosenIds[..(12 - header)]); // BOS and the prompt's start
        Assert.Equal(whole.ChosenIds[(whole.ChosenPromptLength - header)..], p.ChosenIds[(12 - header)..]); // header + completion
    }

    [Fact]
    public void Max_prompt_length_keeps_the_prompts_end_or_with_keep_start_its_start()
    {
        var whole = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Drop).Pairs[0];
        var end = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Truncate with { MaxPromptLength = 4 }).Pairs[0];
        var start = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Truncate with { MaxPromptLength = 4, KeepStart = true }).Pairs[0];

        var prompt = whole.ChosenIds[..whole.ChosenPromptLength];
        Assert.Equal([prompt[0], .. prompt[^3..]], end.ChosenIds[..end.ChosenPromptLength]);
        Assert.Equal(prompt[..4], start.ChosenIds[..start.ChosenPromptLength]);
        Assert.Equal(whole.ChosenIds[whole.ChosenPromptLength..], end.ChosenIds[end.ChosenPromptLength..]);
    }

    [Fact]
    public void Max_completion_length_cuts_each_completion_from_the_right()
    {
        var whole = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Drop).Pairs[1];
        var cut = TokenizedData.From(Rows, TinyLlama, 1024, OverlongPolicy.Truncate with { MaxCompletionLength = 5 }).Pairs[1];

        Assert.Equal(whole.ChosenIds[..(whole.ChosenPromptLength + 5)], cut.ChosenIds);
        Assert.Equal(whole.RejectedIds[..(whole.RejectedPromptLength + 5)], cut.RejectedIds);
    }

    [Fact]
    public void A_pair_that_cannot_keep_its_protected_prompt_and_a_few_completion_tokens_is_dropped_and_counted()
    {
        var data = TokenizedData.From(Rows, TinyLlama, 4, OverlongPolicy.Truncate);

        Assert.Empty(data.Pairs);
        Assert.Equal(6, data.Dropped.Count);
        Assert.All(data.Dropped, d => Assert.StartsWith("cannot fit max_length 4", d.Reason));
    }

    [Fact]
    public void Overlong_pairs_drop_in_the_config_is_the_explicit_drop_policy()
    {
        var config = OrpoConfig.Load(null, new Dictionary<string, string> { ["overlong_pairs"] = "drop" });
        var data = TokenizedData.From(Rows, TinyLlama, 70, config.Overlong);

        Assert.Equal(2, data.Dropped.Count);
        Assert.Equal(0, data.TruncatedPairs);
        Assert.Throws<InvalidDataException>(() => OrpoConfig.Load(null, new Dictionary<string, string> { ["truncation_mode"] = "middle" }));
    }
}
