// Learning-rate multipliers of transformers' get_scheduler (linear, cosine, constant, constant_with_warmup), as a pure
// function of the optimizer step: resuming at step k needs no scheduler state, the schedule is recreated there.
using Pipeline.Shared.Orpo;
namespace Pipeline.Training.Trainer;

public sealed record LrSchedule(string Type, int WarmupSteps, int TotalSteps)
{
    public static LrSchedule From(OrpoConfig c, int totalSteps) =>
        new(c.LrSchedulerType, c.WarmupSteps > 0 ? c.WarmupSteps : (int)Math.Ceiling(c.WarmupRatio * totalSteps), totalSteps);

    /// <summary>Multiplier for the update made at 0-based optimizer step <paramref name="step"/>.</summary>
    public double Factor(int step)
    {
        if (Type == "constant") return 1.0;
        if (step < WarmupSteps) return (double)step / Math.Max(1, WarmupSteps);
        if (Type == "constant_with_warmup") return 1.0;
        var progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        return Type switch
        {
            "linear" => Math.Max(0.0, 1.0 - progress),
            "cosine" => Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * progress))),
            _ => throw new InvalidOperationException($"unknown lr_scheduler_type '{Type}'"),
        };
    }
}
