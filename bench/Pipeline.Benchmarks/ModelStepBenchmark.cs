// `./run bench model-step [--steps N] [--rounds N] [--threads N] [--flat-steps N] [--hidden 256|512] [--skip-pytorch]
// [--mmap-threshold BYTES] [--attention]`: one training step (forward, cross-entropy, backward, clip, AdamW; batch 8 x 256, fp32) of the
// Llama model in TorchSharp and the same model and step in PyTorch eager (bench/pytorch/model_step.py), alternating in
// short rounds so that a shared CPU's drifting load hits both alike; medians are reported with the load average.
// Measured 2026-11-27 12:52 UTC, 2 cores, load ~2.1, in-place AdamW, mmap threshold 4 MiB (--rounds 1 --steps 3):
// h256/L4 1055 vs 840 tok/s (1.26x), h512/L8 419 vs 272 tok/s (1.54x); AdamW phase h512 92 ms (TorchSharp's: 885 ms).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Training;
using Pipeline.Training.Model;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using AdamW = Pipeline.Training.Trainer.AdamW;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks;

internal static class ModelStepBenchmark
{
    private const int Batch = 8, Seq = 256, Gpt2Vocab = 50257;

    /// <summary>CpuSecondsPerStep (user + system, all threads) and MinorFaultsPerStep barely depend on a shared CPU's load.</summary>
    internal sealed record StepFigures(string Framework, double TokensPerSecond, long PeakRssBytes, double Loss = 0,
        double CpuSecondsPerStep = 0, double MinorFaultsPerStep = 0);

    /// <summary>This process's (user + system CPU seconds, minor page faults) from /proc/self/stat.</summary>
    internal static (double CpuSeconds, long MinorFaults) ProcessCounters()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' '); // fields from 3 (state) on
        const double ticks = 100; // USER_HZ
        return ((long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture)) / ticks,
            long.Parse(f[7], CultureInfo.InvariantCulture));
    }

    /// <summary>Time per phase of one TorchSharp step, milliseconds (CPU ops are synchronous, so a stopwatch is exact).</summary>
    internal sealed record PhaseTimes(double ForwardMs, double LossMs, double BackwardMs, double ClipMs, double OptimizerMs)
    {
        public override string ToString() =>
            $"forward {ForwardMs:F0} ms, loss {LossMs:F0} ms, backward {BackwardMs:F0} ms, clip {ClipMs:F0} ms, AdamW {OptimizerMs:F0} ms";
    }

    public static int Run(string[] args)
    {
        var steps = IntArg(args, "--steps", 4);
        var rounds = IntArg(args, "--rounds", 3);
        var threads = IntArg(args, "--threads", 2);
        var flatSteps = IntArg(args, "--flat-steps", 200);
        set_num_interop_threads(threads);
        TorchRuntime.Configure(threads, IntArg(args, "--mmap-threshold", TorchRuntime.DefaultMmapThresholdBytes));
        Console.WriteLine($"CPU: {Benchmarks.PyTorchPeer.CpuDescription()}");
        Console.WriteLine($"model-step: batch {Batch} x {Seq}, fp32, {threads} threads (intra-op and interop), " +
                          $"{rounds} alternating rounds of 1 warm-up + {steps} timed steps; load average {LoadAverage()}");
        var matmul = MatmulGflops();
        Console.WriteLine($"fp32 matmul 2048^3 (TorchSharp): {matmul:F1} GFLOP/s");
        var only = IntArg(args, "--hidden", 0);
        if (args.Contains("--attention"))
        {
            AttentionPaths(only == 0 ? 512 : only, Math.Max(steps, 5));
            return 0;
        }
        var rows = new List<string>();
        foreach (var (hidden, layers) in new[] { (256, 4), (512, 8) }.Where(c => only == 0 || c.Item1 == only))
        {
            var config = BenchConfig(hidden, layers);
            var ours = new List<StepFigures>();
            var peers = new List<StepFigures>();
            PhaseTimes? phases = null;
            for (var r = 0; r < rounds; r++)
            {
                (var figures, phases) = TorchSharpStep(config, steps);
                ours.Add(figures);
                var peer = args.Contains("--skip-pytorch") ? null : PyTorchPeer("model_step.py", PeerArgs(config, steps, threads));
                if (peer is not null) peers.Add(peer);
                Console.WriteLine($"  h{hidden}/L{layers} round {r + 1}: TorchSharp {figures.TokensPerSecond:F0} tok/s, " +
                                  $"PyTorch {(peer is null ? "-" : peer.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture))} tok/s; " +
                                  $"CPU s/step {figures.CpuSecondsPerStep:F2} vs {peer?.CpuSecondsPerStep:F2}, minor faults/step " +
                                  $"{figures.MinorFaultsPerStep:F0} vs {peer?.MinorFaultsPerStep:F0}; load {LoadAverage()}");
            }
            Console.WriteLine($"  h{hidden}/L{layers} TorchSharp phases (last step): {phases}");
            rows.Add(Row($"h{hidden}/L{layers}", ours, peers, FlopsPerToken(config), matmul));
        }
        Console.WriteLine($"config     framework            median tok/s   peak RSS MiB   share of fp32 matmul   vs PyTorch   CPU s/step   faults/step   (load {LoadAverage()})");
        rows.ForEach(Console.WriteLine);
        if (flatSteps > 0)
            Flatness(flatSteps);
        return 0;
    }

    /// <summary>One result line per framework: medians over rounds, the ratio of medians, the share of the matmul rate.</summary>
    internal static string Row(string config, IReadOnlyList<StepFigures> ours, IReadOnlyList<StepFigures> peers, double flopsPerToken, double matmul)
    {
        var lines = new List<string>();
        var peerMedian = peers.Count > 0 ? Median(peers.Select(p => p.TokensPerSecond)) : 0;
        foreach (var group in new[] { ours, peers }.Where(g => g.Count > 0))
        {
            var median = Median(group.Select(f => f.TokensPerSecond));
            var ratio = group == ours && peerMedian > 0 ? $"{median / peerMedian:F2}x" : "";
            lines.Add($"{config,-10} {group[0].Framework,-22} {median,10:F0}   {group.Max(f => f.PeakRssBytes) / 1048576.0,12:F0}   " +
                      $"{median * flopsPerToken / (matmul * 1e9),20:P1}   {ratio,10}   {Median(group.Select(f => f.CpuSecondsPerStep)),10:F2}" +
                      $"   {Median(group.Select(f => f.MinorFaultsPerStep)),12:F0}");
        }
        return string.Join(Environment.NewLine, lines);
    }

    internal static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    internal static string LoadAverage() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

    internal static LlamaConfig BenchConfig(int hidden, int layers) => new()
    {
        VocabSize = Gpt2Vocab, HiddenSize = hidden, IntermediateSize = hidden * 8 / 3 / 64 * 64, NumHiddenLayers = layers,
        NumAttentionHeads = hidden / 64, NumKeyValueHeads = hidden / 64, MaxPositionEmbeddings = Seq, RmsNormEps = 1e-5,
    };

    /// <summary>nanoGPT's estimate: 6 x matmul parameters (lm_head included, embedding lookup not) + attention 12 L H T.</summary>
    internal static double FlopsPerToken(LlamaConfig c)
    {
        double h = c.HiddenSize, matmulParams = c.NumHiddenLayers * (4 * h * h + 3 * h * c.IntermediateSize) + c.VocabSize * h;
        return 6 * matmulParams + 12 * c.NumHiddenLayers * h * Seq;
    }

    private static string[] PeerArgs(LlamaConfig c, int steps, int threads) =>
        ["--hidden", $"{c.HiddenSize}", "--layers", $"{c.NumHiddenLayers}", "--inter", $"{c.IntermediateSize}", "--vocab", $"{c.VocabSize}",
         "--steps", $"{steps}", "--warmup", "1", "--threads", $"{threads}"];

    private static (StepFigures, PhaseTimes) TorchSharpStep(LlamaConfig config, int steps)
    {
        manual_seed(0);
        using var model = new CausalLm(config);
        using var optimizer = PeerAdamW(model.parameters());
        var elapsed = TimeSpan.Zero;
        long peak = 0;
        PhaseTimes phases = null!;
        var start = ProcessCounters();
        for (var step = 0; step < steps + 1; step++)
        {
            if (step == 1) start = ProcessCounters();
            var clock = Stopwatch.StartNew();
            phases = TrainStep(model, optimizer, config.VocabSize, Batch, Seq);
            if (step >= 1)
                elapsed += clock.Elapsed;
            peak = Math.Max(peak, TorchRuntime.ResidentBytes());
        }
        var end = ProcessCounters();
        return (new StepFigures("TorchSharp 0.107", Batch * Seq * steps / elapsed.TotalSeconds, peak, 0,
            (end.CpuSeconds - start.CpuSeconds) / steps, (end.MinorFaults - start.MinorFaults) / (double)steps), phases);
    }

    private static PhaseTimes TrainStep(CausalLm model, AdamW optimizer, int vocab, int batch, int seq)
    {
        using var scope = NewDisposeScope();
        var clock = Stopwatch.StartNew();
        var ids = randint(0, vocab, [batch, seq], dtype: ScalarType.Int64);                        // (B, T)
        optimizer.ZeroGrad();
        var logits = model.forward(ids, null);                                                    // (B, T, V)
        var forward = Lap(clock);
        // Same as PyTorch's logits[:, :-1].reshape(-1, V): the slice is copied once, as there.
        var loss = nn.functional.cross_entropy(logits.narrow(1, 0, seq - 1).reshape(-1, vocab), ids.narrow(1, 1, seq - 1).reshape(-1));
        var lossMs = Lap(clock);
        loss.backward();
        var backward = Lap(clock);
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        var clip = Lap(clock);
        optimizer.Step();
        return new PhaseTimes(forward, lossMs, backward, clip, Lap(clock));
    }

    /// <summary>
    /// `--attention`: forward + backward of causal attention at the bench shape (B 8, T 256, hs 64), through SDPA (the
    /// model's path) and through the explicit softmax(q k^T / sqrt(hs)) v that the PyTorch 1.13 peer uses, alternating.
    /// </summary>
    private static void AttentionPaths(int hidden, int reps)
    {
        var (heads, hs) = (hidden / 64, 64);
        var mask = ones(Seq, Seq, dtype: ScalarType.Bool).triu(1);
        double Time(bool sdpa)
        {
            using var scope = NewDisposeScope();
            var q = randn(Batch, heads, Seq, hs, requires_grad: true);
            var k = randn(Batch, heads, Seq, hs, requires_grad: true);
            var v = randn(Batch, heads, Seq, hs, requires_grad: true);
            var clock = Stopwatch.StartNew();
            var y = sdpa
                ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
                : (q.matmul(k.transpose(-2, -1)) / Math.Sqrt(hs)).masked_fill(mask, double.NegativeInfinity).softmax(-1).matmul(v);
            y.sum().backward();
            return clock.Elapsed.TotalMilliseconds;
        }
        Time(true);
        Time(false);
        var (fused, explicitMs) = (new List<double>(), new List<double>());
        for (var i = 0; i < reps; i++)
        {
            fused.Add(Time(true));
            explicitMs.Add(Time(false));
        }
        Console.WriteLine($"attention fwd+bwd per layer, B {Batch} x nh {heads} x T {Seq} x hs {hs}: SDPA {Median(fused):F1} ms, " +
                          $"explicit softmax {Median(explicitMs):F1} ms (medians of {reps}); load {LoadAverage()}");
    }

    internal static double Lap(Stopwatch clock)
    {
        var ms = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        return ms;
    }

    /// <summary>The peer's figures from bench/pytorch/SCRIPT (OPENBLAS_CORETYPE set: PyTorchPeer); null when unavailable.</summary>
    internal static StepFigures? PyTorchPeer(string script, string[] scriptArgs)
    {
        var threads = int.Parse(scriptArgs[Array.IndexOf(scriptArgs, "--threads") + 1], CultureInfo.InvariantCulture);
        if (Benchmarks.PyTorchPeer.Run(script, scriptArgs, threads) is not { } json)
            return null;
        return new StepFigures(json.GetProperty("framework").GetString()!, json.GetProperty("tokens_per_s").GetDouble(),
            json.GetProperty("peak_rss_bytes").GetInt64(), json.GetProperty("loss").GetDouble(),
            json.GetProperty("cpu_s_per_step").GetDouble(), json.GetProperty("minor_faults_per_step").GetDouble());
    }

    /// <summary>Live tensors and RSS over many steps of the tiny preset: both must stay flat.</summary>
    private static void Flatness(int steps)
    {
        var config = ModelPresets.Get("tiny");
        manual_seed(0);
        using var model = new CausalLm(config);
        using var optimizer = PeerAdamW(model.parameters());
        var checkpoints = new[] { 10, steps / 2, steps };
        Console.Write($"flatness, tiny preset, batch 4 x 128, {steps} steps:");
        for (var step = 1; step <= steps; step++)
        {
            TrainStep(model, optimizer, config.VocabSize, 4, 128);
            if (checkpoints.Contains(step))
                Console.Write($"  step {step}: {torch.Tensor.TotalCount} tensors, RSS {TorchRuntime.ResidentBytes() / 1048576.0:F0} MiB");
        }
        Console.WriteLine();
    }

    /// <summary>The training optimizer with the peer's torch.optim.AdamW defaults (lr 1e-4 here, weight decay 0.01).</summary>
    internal static AdamW PeerAdamW(IEnumerable<Parameter> parameters) =>
        new([new AdamWGroup([.. parameters], 0.01)], new AdamWOptions(LearningRate: 1e-4));

    internal static double MatmulGflops(int n = 2048, int reps = 10)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        matmul(a, b);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < reps; i++)
            matmul(a, b).Dispose();
        return 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
    }

    internal static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
