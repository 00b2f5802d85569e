// The in-place AdamW: equals TorchSharp's built-in AdamW (torch.optim.AdamW semantics) step for step, resumes bitwise
// from its saved state, and refuses a state file that does not fit the parameters.
using Pipeline.Testing;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using TorchSharp;
using TorchSharp.Modules;
using AdamW = Pipeline.Training.Trainer.AdamW;
using static TorchSharp.torch;

namespace Pipeline.Training.Tests.Trainer;

public sealed class AdamWTests
{
    private const double Lr = 3e-2, WeightDecay = 0.1;

    private static nn.Module<Tensor, Tensor> TinyModel(long seed)
    {
        manual_seed(seed);
        return nn.Sequential(("fc1", nn.Linear(6, 16)), ("act", nn.Tanh()), ("fc2", nn.Linear(16, 3)));
    }

    private static IReadOnlyList<Parameter> Decayed(nn.Module m) => [.. m.named_parameters().Where(p => !p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.parameter)];
    private static IReadOnlyList<Parameter> NotDecayed(nn.Module m) => [.. m.named_parameters().Where(p => p.name.EndsWith("bias", StringComparison.Ordinal)).Select(p => p.parameter)];

    private static AdamW Ours(nn.Module m) =>
        new([new AdamWGroup(Decayed(m), WeightDecay), new AdamWGroup(NotDecayed(m), 0.0)], new AdamWOptions(Lr, 0.9, 0.95, 1e-6));

    private static void Backward(nn.Module<Tensor, Tensor> m, int step)
    {
        using var scope = NewDisposeScope();
        var gen = new Generator((ulong)(1000 + step));
        var x = randn([8, 6], generator: gen);
        var y = randn([8, 3], generator: gen);
        nn.functional.mse_loss(m.forward(x), y).backward();
    }

    private static float MaxDifference(nn.Module a, nn.Module b) =>
        a.parameters().Zip(b.parameters()).Max(p => (p.First - p.Second).abs().max().item<float>());

    [Fact]
    public void Ten_steps_equal_torchsharp_builtin_adamw_within_1e_6()
    {
        using var mine = TinyModel(7);
        using var reference = TinyModel(7);
        using var ours = Ours(mine);
        using var builtin = optim.AdamW(
            [
                new TorchSharp.Modules.AdamW.ParamGroup(Decayed(reference), Lr, 0.9, 0.95, 1e-6, WeightDecay, false, false),
                new TorchSharp.Modules.AdamW.ParamGroup(NotDecayed(reference), Lr, 0.9, 0.95, 1e-6, 0.0, false, false),
            ], Lr);
        var start = mine.parameters().Select(p => p.detach().clone()).ToList();

        for (var step = 0; step < 10; step++)
        {
            // A changing learning rate, as the schedule sets it every step.
            ours.LearningRate = Lr * (1 - 0.05 * step);
            foreach (var g in builtin.ParamGroups) g.LearningRate = ours.LearningRate;
            Backward(mine, step);
            Backward(reference, step);
            ours.Step();
            builtin.step();
            ours.ZeroGrad();
            builtin.zero_grad();
            Assert.True(MaxDifference(mine, reference) < 1e-6f, $"step {step + 1}: max |difference| {MaxDifference(mine, reference)}");
        }
        var moved = mine.parameters().Zip(start).Min(p => (p.First - p.Second).abs().max().item<float>());
        Assert.True(moved > 1e-3f, $"every parameter moves (smallest max change {moved})");
    }

    [Fact]
    public void Resuming_from_saved_state_continues_bitwise()
    {
        using var scratch = new TempDir();
        var dir = scratch.Path;
        using var straight = TinyModel(3);
        using var straightOpt = Ours(straight);
        for (var step = 0; step < 6; step++)
        {
            Backward(straight, step);
            straightOpt.Step();
            straightOpt.ZeroGrad();
            if (step == 2)
            {
                straight.save(Path.Combine(dir, "weights.dat"));
                straightOpt.Save(Path.Combine(dir, "adamw_state.bin"));
            }
        }

        using var resumed = TinyModel(99);
        using var resumedOpt = Ours(resumed);
        resumed.load(Path.Combine(dir, "weights.dat"));
        resumedOpt.Load(Path.Combine(dir, "adamw_state.bin"));
        for (var step = 3; step < 6; step++)
        {
            Backward(resumed, step);
            resumedOpt.Step();
            resumedOpt.ZeroGrad();
        }

        foreach (var (a, b) in straight.parameters().Zip(resumed.parameters()))
            Assert.True(a.eq(b).all().item<bool>(), "resumed parameters equal the straight run bit for bit");
    }

    [Fact]
    public void Rejects_state_saved_for_other_parameters_naming_the_file()
    {
        using var scratch = new TempDir();
        var path = scratch.File("adamw_state.bin");
        using var small = TinyModel(1);
        using (var opt = Ours(small)) opt.Save(path);
        using var other = nn.Linear(6, 3);
        using var otherOpt = new AdamW([new AdamWGroup([.. other.parameters()], 0.0)], new AdamWOptions());

        var error = Assert.Throws<InvalidDataException>(() => otherOpt.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("4 parameters", error.Message);
    }

    [Fact]
    public void Rejects_invalid_hyper_parameters_at_construction()
    {
        using var m = nn.Linear(2, 2);
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([new AdamWGroup([.. m.parameters()], 0.0)], new AdamWOptions(Beta2: 1.0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdamW([new AdamWGroup([.. m.parameters()], -1.0)], new AdamWOptions()));
    }
}
