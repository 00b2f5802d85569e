// torch.optim.AdamW (default: non-amsgrad, single-tensor) as an in-place update: moments, decay and step write into the
// existing tensors; the denominator is one temporary of the parameter's shape at a time, as torch's (a scratch kept per
// parameter would hold another float32 copy of the trainable weights between steps: 2 GB for a 0.5B full fine-tune).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Trainer;

/// <summary>Hyper-parameters shared by all groups; <see cref="AdamW.LearningRate"/> can change every step.</summary>
public sealed record AdamWOptions(double LearningRate = 1e-3, double Beta1 = 0.9, double Beta2 = 0.999, double Epsilon = 1e-8)
{
    public void Validate()
    {
        if (!(LearningRate >= 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be >= 0");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta1), Beta1, "beta1 must be in [0, 1)");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentOutOfRangeException(nameof(Beta2), Beta2, "beta2 must be in [0, 1)");
        if (!(Epsilon >= 0)) throw new ArgumentOutOfRangeException(nameof(Epsilon), Epsilon, "epsilon must be >= 0");
    }
}

/// <summary>Parameters that share a weight decay (transformers: 0 for biases and norm weights).</summary>
public sealed record AdamWGroup(IReadOnlyList<Parameter> Parameters, double WeightDecay);

public sealed class AdamW : IDisposable
{
    private const string Magic = "pipeline-adamw-v1";

    private sealed class Slot(Parameter p, double weightDecay)
    {
        public readonly Parameter P = p;
        public readonly double WeightDecay = weightDecay;
        public readonly Tensor M = zeros_like(p).DetachFromDisposeScope();       // first moment, shape of p
        public readonly Tensor V = zeros_like(p).DetachFromDisposeScope();       // second moment, shape of p
        public long Step;
    }

    private readonly AdamWOptions _options;
    private readonly List<Slot> _slots;

    public AdamW(IEnumerable<AdamWGroup> groups, AdamWOptions options)
    {
        options.Validate();
        _options = options;
        LearningRate = options.LearningRate;
        _slots = [];
        foreach (var g in groups)
        {
            if (!(g.WeightDecay >= 0)) throw new ArgumentOutOfRangeException(nameof(groups), g.WeightDecay, "weight decay must be >= 0");
            _slots.AddRange(g.Parameters.Select(p => new Slot(p, g.WeightDecay)));
        }
    }

    public double LearningRate { get; set; }

    /// <summary>One update of every parameter that has a gradient (as torch: those without one keep their step count).</summary>
    public void Step()
    {
        using var _ = no_grad();
        double lr = LearningRate, b1 = _options.Beta1, b2 = _options.Beta2;
        foreach (var s in _slots)
        {
            using var g = s.P.grad;
            if (g is null) continue;
            s.Step++;
            var bc1 = 1 - Math.Pow(b1, s.Step);
            // Scalars held to the end of the update: an implicit conversion's Scalar is unreachable once TorchSharp has
            // read its handle, and a GC on another thread could free it while libtorch still reads it.
            using Scalar decay = 1 - lr * s.WeightDecay, beta1 = b1, gain1 = 1 - b1, beta2 = b2, gain2 = 1 - b2,
                bc2Sqrt = Math.Sqrt(1 - Math.Pow(b2, s.Step)), eps = _options.Epsilon, one = 1, stepSize = -lr / bc1;
            s.P.mul_(decay);
            s.M.mul_(beta1).add_(g, alpha: gain1);
            s.V.mul_(beta2).addcmul_(g, g, value: gain2);
            using var denom = s.V.sqrt().div_(bc2Sqrt).add_(eps, one);                  // sqrt(v / bc2) + eps, shape of p
            s.P.addcdiv_(s.M, denom, value: stepSize);
        }
    }

    /// <summary>Drops the gradients (set to None, as torch's zero_grad(set_to_none=True)).</summary>
    public void ZeroGrad()
    {
        foreach (var s in _slots)
        {
            var g = s.P.grad;
            if (g is null) continue;
            s.P.grad = null;
            g.Dispose();
        }
    }

    /// <summary>Writes step counts and moments bit-exactly (TorchSharp tensor format).</summary>
    public void Save(string path)
    {
        using var writer = new BinaryWriter(File.Create(path));
        writer.Write(Magic);
        writer.Write(_slots.Count);
        foreach (var s in _slots)
        {
            writer.Write(s.Step);
            s.M.Save(writer);
            s.V.Save(writer);
        }
    }

    /// <summary>Restores what <see cref="Save"/> wrote for the same parameters in the same order.</summary>
    public void Load(string path)
    {
        if (!File.Exists(path))
            throw new FileNotFoundException($"{path}: optimizer state missing (checkpoints from before the in-place AdamW cannot be resumed)", path);
        using var reader = new BinaryReader(File.OpenRead(path));
        var magic = reader.ReadString();
        if (magic != Magic) throw new InvalidDataException($"{path}: not an AdamW state file (header '{magic}', expected '{Magic}')");
        var count = reader.ReadInt32();
        if (count != _slots.Count)
            throw new InvalidDataException($"{path}: holds state for {count} parameters, the model being trained has {_slots.Count}");
        using var _ = no_grad();
        foreach (var s in _slots)
        {
            s.Step = reader.ReadInt64();
            s.M.Load(reader);
            s.V.Load(reader);
        }
    }

    public void Dispose()
    {
        foreach (var s in _slots)
        {
            s.M.Dispose();
            s.V.Dispose();
        }
    }
}
