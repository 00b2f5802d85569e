// Engine progress into the run's status: a snapshot swap, no I/O (RunStatusReporter writes in the background).
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Worker;

public sealed class RunProgress(RunStatusReporter status) : IProgress<TrainProgress>
{
    public void Report(TrainProgress p)
    {
        if (p.IsEval) return;
        status.Report(s => s with
        {
            Step = p.Step, TotalSteps = p.TotalSteps, Loss = p.Loss, TokensPerSecond = p.TokensPerSecond, EtaSeconds = p.Eta.TotalSeconds,
        });
    }
}
