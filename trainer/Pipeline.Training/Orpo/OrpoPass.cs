// One micro-batch through the policy for ORPO: hidden states from the decoder (optionally gradient-checkpointed), next-
// token log-probs in chunks (ChunkedTokenLogps), the loss from them; then the backward in the same three stages in
// reverse: loss -> log-probs, log-probs -> hidden states (chunks recomputed), hidden states -> parameters. Logits small
// enough for one chunk (the tiny models of tests and the demo) keep their graph instead of being recomputed.
using Pipeline.Training.Model;
using static TorchSharp.torch;

namespace Pipeline.Training.Orpo;

public static class OrpoPass
{
    /// <summary>Forward and backward: gradients accumulate into the parameters that train. The returned loss is detached.</summary>
    public static OrpoLossOutput ForwardBackward(CausalLm model, OrpoBatch batch, double beta, OrpoNormalizer normalizer,
        bool gradientCheckpointing, long? chunkBytes = null)
    {
        using var scope = NewDisposeScope();
        var chunkTokens = ChunkedTokenLogps.ChunkTokens(model.Config.VocabSize, batch.InputIds.device, chunkBytes);
        using var tape = gradientCheckpointing ? CheckpointedDecoder.Forward(model, batch.InputIds, batch.AttentionMask) : null;
        var hidden = tape?.Hidden ?? model.Hidden(batch.InputIds, batch.AttentionMask);                     // (2B, T, C)

        OrpoLossOutput output;
        Tensor gradHidden;                                                                                 // (2B, T, C)
        if (ChunkedTokenLogps.Positions(batch.InputIds) <= chunkTokens)
        {
            // The logits fit in one chunk: keep their graph instead of recomputing them.
            var leaf = hidden.detach().requires_grad_(true);
            output = OrpoLoss.FromTokenLogps(ChunkedTokenLogps.Whole(model.LmHead, leaf, batch.InputIds), batch, beta, normalizer);
            output.Loss.backward();
            gradHidden = leaf.grad!;
        }
        else
        {
            var tokens = ChunkedTokenLogps.Forward(model.LmHead, hidden.detach(), batch.InputIds, chunkTokens); // (2B, T-1), no graph
            var logps = tokens.Logps.requires_grad_(true);                                                      // leaf
            output = OrpoLoss.FromTokenLogps(tokens with { Logps = logps }, batch, beta, normalizer);
            output.Loss.backward();                                                                            // -> logps.grad
            gradHidden = ChunkedTokenLogps.Backward(model.LmHead, hidden, batch.InputIds, logps.grad!, chunkTokens);
        }
        if (tape is null) autograd.backward(hidden, gradHidden);
        else tape.Backward(gradHidden);

        var result = output with { Loss = output.Loss.detach() };
        result.Loss.MoveToOuterDisposeScope();
        result.Stats.Sums.MoveToOuterDisposeScope();
        result.Stats.PerPair.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The loss and statistics without gradients (evaluation): the logits are never whole here either.</summary>
    public static OrpoLossOutput Evaluate(CausalLm model, OrpoBatch batch, double beta, long? chunkBytes = null)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var chunkTokens = ChunkedTokenLogps.ChunkTokens(model.Config.VocabSize, batch.InputIds.device, chunkBytes);
        var hidden = model.Hidden(batch.InputIds, batch.AttentionMask);                                   // (2B, T, C)
        var output = OrpoLoss.FromTokenLogps(ChunkedTokenLogps.Forward(model.LmHead, hidden, batch.InputIds, chunkTokens), batch, beta);
        output.Loss.MoveToOuterDisposeScope();
        output.Stats.Sums.MoveToOuterDisposeScope();
        output.Stats.PerPair.MoveToOuterDisposeScope();
        return output;
    }
}
