// Decoding: the KV cache changes nothing, sampling is seeded and honours top-p, stop tokens end generation.
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Generation;
using Pipeline.Training.Tests.Model;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Generation;

public sealed class TokenGeneratorTests
{
    private static readonly long[] Prompt = [301, 54, 257, 263, 289, 280, 88];

    [Fact]
    public void Cached_greedy_decoding_equals_uncached_argmax_decoding()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var options = new GenerationOptions { MaxNewTokens = 24 };

        var cached = TokenGenerator.Generate(model, Prompt, options);
        var uncached = TokenGenerator.Generate(model, Prompt, options with { UseKvCache = false });

        Assert.Equal(24, cached.TokenIds.Count);
        Assert.Equal(uncached.TokenIds, cached.TokenIds);
        Assert.True(cached.TokenIds.Distinct().Count() > 1, "a degenerate sequence would not test the cache");
    }

    [Fact]
    public void A_vocabulary_limit_keeps_greedy_and_sampled_tokens_below_it()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var greedy = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 16 }).TokenIds;
        // A limit just under the most frequent greedy token: that token (and every id above) can no longer be drawn.
        var limit = (int)greedy.GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key;

        var limitedGreedy = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 16, VocabularyLimit = limit }).TokenIds;
        var limitedSampled = TokenGenerator.Generate(model, Prompt,
            new GenerationOptions { MaxNewTokens = 32, Temperature = 1.5, Seed = 3, VocabularyLimit = limit }).TokenIds;

        Assert.Contains(greedy, t => t >= limit);
        Assert.All(limitedGreedy, t => Assert.InRange(t, 0, limit - 1));
        Assert.All(limitedSampled, t => Assert.InRange(t, 0, limit - 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new GenerationOptions { VocabularyLimit = 0 }.Validate());
    }

    [Fact]
    public void Cached_step_logits_equal_full_sequence_logits_with_gqa_bias_and_llama3_rope()
    {
        using var scope = NewDisposeScope();
        using var model = HfModelFolder.Load(ModelFixtures.TinyVariant, CPU);
        var ids = tensor(ParityTests.LoadVariantExpectation().Inputs[0]).unsqueeze(0); // (1, T)
        var t = ids.shape[1];
        var full = model.forward(ids, null)[0];                                       // (T, V)
        using var cache = new Pipeline.Training.Model.KvCache(model.Config, 1, t, ScalarType.Float32, CPU);

        var prefill = model.Forward(ids.narrow(1, 0, 4), null, cache)[0];             // (4, V)
        var maxDiff = (prefill - full.narrow(0, 0, 4)).abs().max().item<float>();
        for (var i = 4; i < t; i++)
        {
            var step = model.Forward(ids.narrow(1, i, 1), null, cache)[0, 0];         // (V)
            maxDiff = Math.Max(maxDiff, (step - full[i]).abs().max().item<float>());
        }
        Assert.Equal(t, cache.Length);
        Assert.True(maxDiff < 1e-4, $"cached logits differ by {maxDiff}");
    }

    [Fact]
    public void Sampling_with_the_same_seed_repeats_and_another_seed_differs()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var options = new GenerationOptions { MaxNewTokens = 30, Temperature = 1.5, Seed = 11 };

        var a = TokenGenerator.Generate(model, Prompt, options).TokenIds;
        var b = TokenGenerator.Generate(model, Prompt, options).TokenIds;
        var c = TokenGenerator.Generate(model, Prompt, options with { Seed = 12 }).TokenIds;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.All(a, id => Assert.InRange(id, 0, 302));
    }

    [Fact]
    public void Top_p_that_keeps_one_token_samples_the_greedy_sequence()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var greedy = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 16 }).TokenIds;
        var nucleus = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 16, Temperature = 1, TopP = 1e-6, Seed = 5 }).TokenIds;
        Assert.Equal(greedy, nucleus);
    }

    [Fact]
    public void Generation_stops_at_a_stop_token_and_says_so()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var free = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 12 });
        var stopAt = free.TokenIds[3];
        var firstIndex = free.TokenIds.ToList().IndexOf(stopAt);

        var stopped = TokenGenerator.Generate(model, Prompt, new GenerationOptions { MaxNewTokens = 12, StopTokenIds = [stopAt] });

        Assert.Equal(StopReason.Length, free.StopReason);
        Assert.Equal(StopReason.StopToken, stopped.StopReason);
        Assert.Equal(free.TokenIds.Take(firstIndex + 1), stopped.TokenIds);
    }

    [Fact]
    public void Invalid_options_are_rejected_before_decoding()
    {
        using var model = HfModelFolder.Load(ModelFixtures.TinyLlama, CPU);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() =>
            TokenGenerator.Generate(model, Prompt, new GenerationOptions { TopP = 1.5 }));
        Assert.Equal("TopP", error.ParamName);
    }
}
