// The only reads from the device in the training step, each a sync point on CUDA (the host waits for the queue to
// drain): the step's loss and gradient norm once per optimizer step, which the non-finite guard needs before the
// update (as torch.amp.GradScaler's skip decision), and the ORPO metrics once per logging step. Everything else stays
// on the device; HostSyncRuleTests fails on any other .item() / .cpu() / data<T>() reachable from the step.
using Pipeline.Training.Orpo;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

internal static class HostSync
{
    /// <summary>Once per optimizer step: loss and gradient norm (scalars on the device) in one transfer.</summary>
    public static (double Loss, double GradNorm) StepGuard(Tensor loss, Tensor gradNorm)
    {
        using var scope = NewDisposeScope();
        var values = stack([loss.to_type(ScalarType.Float64), gradNorm.to_type(ScalarType.Float64)]).cpu().data<double>();
        return (values[0], values[1]);
    }

    /// <summary>Once per logging step: the window's ORPO metrics (one transfer for all its micro-batches).</summary>
    public static IReadOnlyDictionary<string, double> LoggedMetrics(OrpoMetrics window) => window.ToDictionary();
}
