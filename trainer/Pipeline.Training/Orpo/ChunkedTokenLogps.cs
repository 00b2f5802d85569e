// log p(next token) at every position without ever holding the logits whole: the lm_head matmul, the log-softmax and
// the gather run over a chunk of positions at a time, and the backward recomputes each chunk's logits. Peak memory is
// a few chunk x V tensors instead of (2B, T, V) logits, their log-softmax and its gradient (8 x 251 x 151,936 floats is
// 1.2 GB each). Same values as OrpoLoss.TokenLogpsFromLogits within float32 noise (log p = x_t - logsumexp(x)).
using static TorchSharp.torch;

namespace Pipeline.Training.Orpo;

public static class ChunkedTokenLogps
{
    /// <summary>Logits held per chunk on the CPU (float32 bytes); on CUDA chunks are 8x larger for fuller matmuls.</summary>
    public const long DefaultChunkBytes = 64L << 20;

    /// <summary>Positions per chunk so that one chunk of float32 logits stays near <paramref name="chunkBytes"/>.</summary>
    public static long ChunkTokens(long vocab, Device device, long? chunkBytes = null) =>
        Math.Max(1, (chunkBytes ?? (device.type == TorchSharp.DeviceType.CUDA ? 8 * DefaultChunkBytes : DefaultChunkBytes)) / (4 * vocab));

    /// <summary>
    /// hidden (2B, T, C), no graph needed; inputIds (2B, T). Returns Logps (2B, T-1) without a graph and the row logit
    /// sums. <paramref name="lmHead"/> maps (n, C) to logits (n, V).
    /// </summary>
    public static TokenLogps Forward(Func<Tensor, Tensor> lmHead, Tensor hidden, Tensor inputIds, long chunkTokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (h, targets) = Flatten(hidden, inputIds);                  // (N, C), (N) with N = 2B (T-1)
        var dtype = LossDtype(hidden);
        var logps = empty(targets.shape[0], dtype, hidden.device);      // (N)
        var sums = empty(targets.shape[0], dtype, hidden.device);       // (N)
        long vocab = 0;
        foreach (var (start, n) in Chunks(targets.shape[0], chunkTokens))
        {
            using var chunk = NewDisposeScope();
            var logits = lmHead(h.narrow(0, start, n)).to_type(dtype);  // (n, V)
            vocab = logits.shape[1];
            logps.narrow(0, start, n).copy_(TargetLogp(logits, targets.narrow(0, start, n)));
            sums.narrow(0, start, n).copy_(logits.sum(-1));
        }
        var rows = hidden.shape[0];
        return new TokenLogps(logps.view(rows, -1).MoveToOuterDisposeScope(), sums.view(rows, -1).sum(-1).MoveToOuterDisposeScope(), vocab);
    }

    /// <summary>
    /// All positions as one chunk, with a graph back to <paramref name="hidden"/>: when the logits fit in one chunk,
    /// keeping them costs no more memory than a chunk and saves recomputing the lm_head matmul in the backward.
    /// </summary>
    public static TokenLogps Whole(Func<Tensor, Tensor> lmHead, Tensor hidden, Tensor inputIds)
    {
        using var scope = NewDisposeScope();
        var (h, targets) = Flatten(hidden, inputIds);                  // (N, C), (N)
        var logits = lmHead(h).to_type(LossDtype(hidden));             // (N, V)
        var rows = hidden.shape[0];
        var logps = TargetLogp(logits, targets).view(rows, -1);        // (2B, T-1)
        var sums = logits.detach().sum(-1).view(rows, -1).sum(-1);      // (2B)
        return new TokenLogps(logps.MoveToOuterDisposeScope(), sums.MoveToOuterDisposeScope(), logits.shape[1]);
    }

    /// <summary>Positions of a batch whose logits the chunks cover: 2B (T-1).</summary>
    public static long Positions(Tensor inputIds) => inputIds.shape[0] * (inputIds.shape[1] - 1);

    /// <summary>
    /// d loss / d hidden (2B, T, C) from d loss / d logps (2B, T-1): each chunk's logits are recomputed with a graph and
    /// back-propagated, so the lm_head's weight (or an adapter on it) also receives its gradient here.
    /// </summary>
    public static Tensor Backward(Func<Tensor, Tensor> lmHead, Tensor hidden, Tensor inputIds, Tensor gradLogps, long chunkTokens)
    {
        using var scope = NewDisposeScope();
        var (h, targets) = Flatten(hidden.detach(), inputIds);           // (N, C), (N)
        var dtype = LossDtype(hidden);
        var g = gradLogps.reshape(-1).to_type(dtype);                    // (N)
        var grad = empty_like(h);                                        // (N, C)
        foreach (var (start, n) in Chunks(targets.shape[0], chunkTokens))
        {
            using var chunk = NewDisposeScope();
            var x = h.narrow(0, start, n).detach().requires_grad_(true);  // (n, C) leaf
            using (enable_grad())
            {
                var logits = lmHead(x).to_type(dtype);                   // (n, V)
                autograd.backward(TargetLogp(logits, targets.narrow(0, start, n)), g.narrow(0, start, n));
            }
            grad.narrow(0, start, n).copy_(x.grad!);
        }
        // The last position predicts nothing: its gradient is zero.
        var (rows, t) = (hidden.shape[0], hidden.shape[1]);
        return nn.functional.pad(grad.view(rows, t - 1, -1), new long[] { 0, 0, 0, 1 }).MoveToOuterDisposeScope(); // (2B, T, C)
    }

    /// <summary>float32, or float64 for float64 hidden states (exact references in tests), as OrpoLoss.</summary>
    private static ScalarType LossDtype(Tensor hidden) => hidden.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32;

    /// <summary>logits (n, V) float32, targets (n) -> log p(target) (n) = x_target - logsumexp(x).</summary>
    private static Tensor TargetLogp(Tensor logits, Tensor targets) =>
        logits.gather(-1, targets.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1);

    /// <summary>hidden (2B, T, C) -> positions 0..T-2 as (N, C) and the tokens they predict (N), N = 2B (T-1).</summary>
    private static (Tensor Hidden, Tensor Targets) Flatten(Tensor hidden, Tensor inputIds)
    {
        var (rows, t, c) = (hidden.shape[0], hidden.shape[1], hidden.shape[2]);
        return (hidden.narrow(1, 0, t - 1).reshape(rows * (t - 1), c), inputIds.narrow(1, 1, t - 1).reshape(-1));
    }

    private static IEnumerable<(long Start, long Count)> Chunks(long total, long size)
    {
        for (long start = 0; start < total; start += size)
            yield return (start, Math.Min(size, total - start));
    }
}
