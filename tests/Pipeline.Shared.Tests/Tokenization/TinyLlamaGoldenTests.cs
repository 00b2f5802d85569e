// The token ids in testdata/tiny-llama/expected_eval.json (TRL's tokenisation: BOS + prompt, completion + EOS)
// must come out of HfTokenizer reading the same folder, and its special-token settings must match the files.
using System.Text.Json;
using Pipeline.Shared.Tokenization;
using Pipeline.Testing;

namespace Pipeline.Shared.Tests.Tokenization;

public sealed class TinyLlamaGoldenTests
{
    [Fact]
    public void Reproduces_the_golden_token_ids_of_every_pair()
    {
        var tokenizer = HfTokenizer.Load(RepoPaths.TinyLlama);
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "expected_eval.json")));
        var rows = File.ReadAllLines(Path.Combine(RepoPaths.TinyLlama, "data.jsonl")).Where(l => l.Length > 0)
            .Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var pairs = golden.RootElement.GetProperty("pairs").EnumerateArray().ToList();
        Assert.Equal(rows.Count, pairs.Count);

        for (var i = 0; i < rows.Count; i++)
        {
            var prompt = tokenizer.Encode(rows[i].GetProperty("prompt").GetString()!);
            foreach (var side in new[] { "chosen", "rejected" })
            {
                int[] expected = [.. pairs[i].GetProperty($"{side}_input_ids").EnumerateArray().Select(e => e.GetInt32())];
                int[] actual = [tokenizer.BosTokenId!.Value, .. prompt, .. tokenizer.Encode(rows[i].GetProperty(side).GetString()!), tokenizer.EosTokenId!.Value];
                Assert.Equal(expected, actual);
                Assert.Equal(pairs[i].GetProperty($"{side}_prompt_len").GetInt32(), 1 + prompt.Count);
            }
        }
    }

    [Fact]
    public void Reads_bos_and_eos_from_tokenizer_config_and_bos_prefix_from_the_post_processor()
    {
        var tokenizer = HfTokenizer.Load(RepoPaths.TinyLlama);
        using var golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.TinyLlama, "expected_eval.json")));

        Assert.Equal(golden.RootElement.GetProperty("bos_token_id").GetInt32(), tokenizer.BosTokenId);
        Assert.Equal(golden.RootElement.GetProperty("eos_token_id").GetInt32(), tokenizer.EosTokenId);
        Assert.True(tokenizer.AddBosToken);
        Assert.Null(tokenizer.PadTokenId);
        Assert.Null(tokenizer.ChatTemplate);
    }

    [Fact]
    public void Qwen3_adds_no_bos_and_pads_with_endoftext()
    {
        var tokenizer = TokenizerZoo.Get("qwen3");

        Assert.False(tokenizer.AddBosToken);
        Assert.Null(tokenizer.BosTokenId);
        Assert.Equal(tokenizer.IdOf("<|endoftext|>"), tokenizer.PadTokenId);
        Assert.Equal(tokenizer.IdOf("<|im_end|>"), tokenizer.EosTokenId);
    }
}
