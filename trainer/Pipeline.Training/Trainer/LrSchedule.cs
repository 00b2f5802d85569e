// Learning-rate multipliers of transformers' get_scheduler (optimization.py: linear, cosine, cosine_with_restarts,
// polynomial, constant, constant_with_warmup, inverse_sqrt, cosine_with_min_lr, warmup_stable_decay) with their
// lr_scheduler_kwargs, as a pure function of the optimizer step: resuming at step k needs no scheduler state.
using System.Text.Json;
using Pipeline.Shared.Orpo;
namespace Pipeline.Training.Trainer;

public sealed record LrSchedule(string Type, int WarmupSteps, int TotalSteps)
{
    /// <summary>The optimizer's base learning rate (polynomial's lr_init; min_lr is divided by it).</summary>
    public double LearningRate { get; init; } = 1.0;

    /// <summary>lr_scheduler_kwargs: the scheduler's own arguments by transformers' names.</summary>
    public IReadOnlyDictionary<string, JsonElement> Kwargs { get; init; } = new Dictionary<string, JsonElement>();

    public static LrSchedule From(OrpoConfig c, int totalSteps) =>
        new(c.LrSchedulerType, c.EffectiveWarmupSteps(totalSteps), totalSteps)
        {
            LearningRate = c.LearningRate, Kwargs = c.LrSchedulerKwargs ?? new Dictionary<string, JsonElement>(),
        };

    /// <summary>Multiplier for the update made at 0-based optimizer step <paramref name="step"/>.</summary>
    public double Factor(int step)
    {
        if (Type == "constant") return 1.0;
        var warmup = (double)step / Math.Max(1, WarmupSteps);
        if (Type == "warmup_stable_decay") return WarmupStableDecay(step);
        if (step < WarmupSteps) return warmup;
        var progress = (double)(step - WarmupSteps) / Math.Max(1, TotalSteps - WarmupSteps);
        switch (Type)
        {
            case "constant_with_warmup":
                return 1.0;
            case "linear":
                return Math.Max(0.0, (double)(TotalSteps - step) / Math.Max(1, TotalSteps - WarmupSteps));
            case "cosine":
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * Number("num_cycles", 0.5) * 2.0 * progress)));
            case "cosine_with_restarts":
                if (progress >= 1.0) return 0.0;
                return Math.Max(0.0, 0.5 * (1.0 + Math.Cos(Math.PI * (Number("num_cycles", 1) * progress % 1.0))));
            case "cosine_with_min_lr":
            {
                var minRate = Kwargs.ContainsKey("min_lr") ? Number("min_lr", 0) / LearningRate : Number("min_lr_rate", 0);
                var factor = 0.5 * (1.0 + Math.Cos(Math.PI * Number("num_cycles", 0.5) * 2.0 * progress));
                return Math.Max(0, factor * (1 - minRate) + minRate);
            }
            case "polynomial":
            {
                double lrEnd = Number("lr_end", 1e-7), power = Number("power", 1.0);
                if (!(LearningRate > lrEnd)) throw new InvalidDataException($"lr_end ({lrEnd}) must be smaller than learning_rate ({LearningRate}).");
                if (step > TotalSteps) return lrEnd / LearningRate;
                var remaining = 1 - (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
                return ((LearningRate - lrEnd) * Math.Pow(remaining, power) + lrEnd) / LearningRate;
            }
            case "inverse_sqrt":
            {
                // get_scheduler passes no timescale: it is the warmup, or 10 000 without one.
                var timescale = WarmupSteps > 0 ? WarmupSteps : 10_000;
                return 1.0 / Math.Sqrt((double)(step + timescale - WarmupSteps) / timescale);
            }
            default:
                throw new InvalidOperationException($"unknown lr_scheduler_type '{Type}'");
        }
    }

    // get_wsd_schedule: warmup (from min_lr_ratio), stable at 1, decay to min_lr_ratio, then min_lr_ratio.
    private double WarmupStableDecay(int step)
    {
        var decaySteps = (int)Number("num_decay_steps", 0);
        var stableSteps = Kwargs.ContainsKey("num_stable_steps") ? (int)Number("num_stable_steps", 0) : TotalSteps - WarmupSteps - decaySteps;
        double minRatio = Number("min_lr_ratio", 0), cycles = Number("num_cycles", 0.5);
        double Scaled(double f) => Math.Max(0.0, f * (1.0 - minRatio) + minRatio);
        if (step < WarmupSteps)
        {
            var p = (double)step / Math.Max(1, WarmupSteps);
            return Scaled(Text("warmup_type", "linear") switch
            {
                "linear" => p,
                "cosine" => 0.5 * (1.0 - Math.Cos(Math.PI * p)),
                "1-sqrt" => 1.0 - Math.Sqrt(1.0 - p),
                var t => throw new InvalidDataException($"warmup_type '{t}' is not linear, cosine or 1-sqrt"),
            });
        }
        if (step < WarmupSteps + stableSteps) return 1.0;
        if (step < WarmupSteps + stableSteps + decaySteps)
        {
            var p = (double)(step - WarmupSteps - stableSteps) / Math.Max(1, decaySteps);
            return Scaled(Text("decay_type", "cosine") switch
            {
                "linear" => 1.0 - p,
                "cosine" => 0.5 * (1.0 + Math.Cos(Math.PI * cycles * 2.0 * p)),
                "1-sqrt" => 1.0 - Math.Sqrt(p),
                var t => throw new InvalidDataException($"decay_type '{t}' is not linear, cosine or 1-sqrt"),
            });
        }
        return minRatio;
    }

    private double Number(string key, double fallback) => Kwargs.TryGetValue(key, out var v)
        ? v.ValueKind == JsonValueKind.String ? double.Parse(v.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : v.GetDouble()
        : fallback;

    private string Text(string key, string fallback) => Kwargs.TryGetValue(key, out var v) ? v.GetString() ?? fallback : fallback;
}
