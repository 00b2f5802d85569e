// Learning-rate multipliers match transformers' get_scheduler: warmup from 0, then linear / cosine decay to 0.
using Pipeline.Shared.Orpo;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;

namespace Pipeline.Training.Tests.Trainer;

public sealed class LrScheduleTests
{
    [Fact]
    public void Linear_warms_up_from_zero_then_decays_to_zero()
    {
        var s = new LrSchedule("linear", WarmupSteps: 2, TotalSteps: 10);
        Assert.Equal([0.0, 0.5, 1.0, 0.875, 0.125], new[] { 0, 1, 2, 3, 9 }.Select(s.Factor));
    }

    [Fact]
    public void Cosine_is_half_way_at_the_middle_of_the_decay()
    {
        var s = new LrSchedule("cosine", WarmupSteps: 0, TotalSteps: 10);
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(0.5, s.Factor(5), 12);
    }

    [Fact]
    public void Warmup_ratio_rounds_up_like_transformers()
    {
        var c = new OrpoConfig { WarmupRatio = 0.1 };
        Assert.Equal(3, LrSchedule.From(c, 25).WarmupSteps);
        Assert.Equal(5, LrSchedule.From(c with { WarmupSteps = 5 }, 25).WarmupSteps);
    }
}

/// <summary>The schedulers transformers adds, with their lr_scheduler_kwargs; expected values worked out from optimization.py's formulas.</summary>
public sealed class TransformersSchedulerTests
{
    private static LrSchedule Schedule(string type, int warmup, int total, string kwargs, double lr = 1e-3) =>
        new(type, warmup, total) { LearningRate = lr, Kwargs = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, System.Text.Json.JsonElement>>(kwargs)! };

    [Fact]
    public void Cosine_with_min_lr_decays_to_the_min_rate_or_the_min_lr()
    {
        var rate = Schedule("cosine_with_min_lr", 2, 10, """{"min_lr_rate": 0.1}""");
        Assert.Equal([0.0, 0.5, 1.0, 0.55, 0.1], new[] { 0, 1, 2, 6, 10 }.Select(s => Math.Round(rate.Factor(s), 12)));
        var absolute = Schedule("cosine_with_min_lr", 2, 10, """{"min_lr": 2e-4}""");
        Assert.Equal(0.2, absolute.Factor(10), 12);
    }

    [Fact]
    public void Polynomial_decays_from_the_learning_rate_to_lr_end_with_the_power()
    {
        var s = Schedule("polynomial", 0, 10, """{"lr_end": 1e-4, "power": 2.0}""");
        Assert.Equal(1.0, s.Factor(0), 12);
        Assert.Equal(0.325, s.Factor(5), 12); // (1e-3 - 1e-4) * 0.5^2 + 1e-4, over 1e-3
        Assert.Equal(0.1, s.Factor(12), 12);
    }

    [Fact]
    public void Inverse_sqrt_uses_the_warmup_as_timescale()
    {
        var s = Schedule("inverse_sqrt", 4, 100, "{}");
        Assert.Equal([0.5, 1.0, 0.5], new[] { 2, 4, 16 }.Select(x => Math.Round(s.Factor(x), 12)));
    }

    [Fact]
    public void Warmup_stable_decay_warms_up_holds_then_decays_to_the_min_ratio()
    {
        var s = Schedule("warmup_stable_decay", 2, 10, """{"num_decay_steps": 4, "min_lr_ratio": 0.1}""");
        Assert.Equal([0.1, 0.55, 1.0, 1.0, 1.0, 0.55, 0.1], new[] { 0, 1, 2, 5, 6, 8, 10 }.Select(x => Math.Round(s.Factor(x), 12)));
    }

    [Fact]
    public void Cosine_with_restarts_restarts_num_cycles_times()
    {
        var s = Schedule("cosine_with_restarts", 0, 10, """{"num_cycles": 2}""");
        Assert.Equal(1.0, s.Factor(5), 12);
        Assert.Equal(0.5 * (1 + Math.Cos(Math.PI * 0.4)), s.Factor(2), 12);
        Assert.Equal(0.0, s.Factor(10), 12);
    }
}
