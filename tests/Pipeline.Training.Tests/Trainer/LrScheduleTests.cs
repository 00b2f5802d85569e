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
