// Autoregressive decoding for one prompt: prefill the KV cache with the prompt, then one token per forward pass.
// Sampling follows transformers' order: temperature, then top-p, then a multinomial draw.
using Pipeline.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training.Generation;

public static class TokenGenerator
{
    public static GenerationResult Generate(CausalLm model, IReadOnlyList<long> promptIds, GenerationOptions options)
    {
        options.Validate();
        if (promptIds.Count == 0)
            throw new ArgumentException("the prompt has no tokens.", nameof(promptIds));
        var first = model.parameters().First();
        var (device, dtype) = (first.device, first.dtype);
        using var noGrad = no_grad();
        using var sampler = new torch.Generator((ulong)options.Seed);
        using var cache = options.UseKvCache
            ? new KvCache(model.Config, 1, promptIds.Count + options.MaxNewTokens, dtype, device)
            : null;

        var sequence = new List<long>(promptIds);
        var generated = new List<long>();
        for (var step = 0; step < options.MaxNewTokens; step++)
        {
            using var scope = NewDisposeScope();
            // With a cache only the tokens it has not seen go in: the whole prompt first, then the last token.
            var fresh = cache is null ? sequence : sequence.Skip((int)cache.Length).ToList();
            var input = tensor(fresh.ToArray(), device: device).unsqueeze(0);              // (1, T)
            var logits = model.Forward(input, null, cache)[0, -1].to_type(ScalarType.Float32); // (V)
            var next = NextToken(logits, options, sampler);
            sequence.Add(next);
            generated.Add(next);
            if (options.StopTokenIds.Contains(next))
                return new GenerationResult(generated, StopReason.StopToken);
        }
        return new GenerationResult(generated, StopReason.Length);
    }

    private static long NextToken(Tensor logits, GenerationOptions options, torch.Generator sampler) // logits (V)
    {
        if (options.VocabularyLimit is int limit && limit < logits.shape[0])
            logits = logits.narrow(0, 0, limit);                                            // (limit): ids keep their number
        if (options.Temperature == 0)
            return logits.argmax().item<long>(); // sync point: the token decides the next input
        var probs = (logits / options.Temperature).softmax(-1).cpu();                       // (V)
        if (options.TopP < 1)
        {
            var (sorted, order) = probs.sort(descending: true);                             // (V), (V)
            // Drop a token when the more likely ones before it already reach top_p (the first always stays).
            var drop = (sorted.cumsum(0) - sorted) >= options.TopP;
            probs = probs.scatter(0, order, sorted.masked_fill(drop, 0));
        }
        return multinomial(probs, 1, generator: sampler).item<long>();
    }
}
