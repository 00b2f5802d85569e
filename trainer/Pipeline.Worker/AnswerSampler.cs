// Samples several answers to one prompt as one batch: the prompt, repeated once per answer, fills the KV cache in one
// pass, then every answer gets one token per step (temperature, then top-p, then a multinomial draw, in transformers'
// order, as TokenGenerator does for one sequence). Batching the answers makes the policy check's sampling affordable.
using Pipeline.Training.Generation;
using Pipeline.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Worker;

internal static class AnswerSampler
{
    /// <summary>Up to MaxNewTokens new tokens per answer, cut after the first stop token (included).</summary>
    public static IReadOnlyList<IReadOnlyList<long>> Sample(CausalLm model, IReadOnlyList<long> prompt, int count, GenerationOptions options)
    {
        options.Validate();
        var first = model.parameters().First();
        var (device, dtype) = (first.device, first.dtype);
        using var noGrad = no_grad();
        using var sampler = new torch.Generator((ulong)options.Seed);
        using var cache = new KvCache(model.Config, count, prompt.Count + options.MaxNewTokens, dtype, device);
        var answers = Enumerable.Range(0, count).Select(_ => new List<long>()).ToArray();
        var done = new bool[count];
        var next = prompt.ToArray();
        for (var step = 0; step < options.MaxNewTokens && done.Contains(false); step++)
        {
            using var scope = NewDisposeScope();
            var input = step == 0
                ? tensor(next, device: device).unsqueeze(0).expand(count, -1)                 // (K, T) the prompt, K times
                : tensor(next, device: device).unsqueeze(1);                                  // (K, 1) each answer's last token
            var logits = model.Forward(input, null, cache).select(1, -1).to_type(ScalarType.Float32); // (K, V)
            next = Draw(logits, options, sampler).cpu().data<long>().ToArray();             // sync point: the tokens feed the next step
            for (var k = 0; k < count; k++)
            {
                if (done[k]) continue;
                answers[k].Add(next[k]);
                done[k] = options.StopTokenIds.Contains(next[k]);
            }
        }
        return answers;
    }

    private static Tensor Draw(Tensor logits, GenerationOptions options, torch.Generator sampler) // logits (K, V) -> (K,)
    {
        if (options.VocabularyLimit is int limit && limit < logits.shape[1])
            logits = logits.narrow(1, 0, limit);                                             // (K, limit): ids keep their number
        var probs = (logits / options.Temperature).softmax(-1).cpu();                       // (K, V)
        if (options.TopP < 1)
        {
            var (sorted, order) = probs.sort(dim: -1, descending: true);                     // (K, V), (K, V)
            // Drop a token when the more likely ones before it already reach top_p (the first always stays).
            var drop = (sorted.cumsum(-1) - sorted) >= options.TopP;
            probs = probs.scatter(-1, order, sorted.masked_fill(drop, 0));
        }
        return multinomial(probs, 1, generator: sampler).squeeze(-1);                        // (K,)
    }
}
