// `./run bench orpo-step [--steps N] [--rounds N] [--threads N] [--hidden 256|512] [--skip-pytorch] [--skip-bf16]
// [--mmap-threshold BYTES] [--trim-threshold BYTES]`: one ORPO
// optimizer step (4 pairs = 8 rows x 256 tokens, 64 prompt tokens; the trainer's OrpoPass: forward, logits in chunks, TRL
// loss, backward; then clip, AdamW) in TorchSharp
// fp32 and bf16 (float32 master weights) and the same step in PyTorch eager (bench/pytorch/orpo_step.py, TRL's loss
// transcribed), alternating in short rounds on a shared CPU; medians are reported with the load average.
// Measured 2026-11-27 12:54 UTC, 2 cores, load ~2.0 (--rounds 1 --steps 3): fp32 h256/L4 1216 vs 692 tok/s (1.76x),
// h512/L8 436 vs 232 (1.88x); bf16 1810 and 1037 tok/s.
using System.Diagnostics;
using System.Globalization;
using Pipeline.Training;
using Pipeline.Training.Model;
using Pipeline.Training.Data;
using Pipeline.Training.Orpo;
using Pipeline.Training.Trainer;
using TorchSharp;
using static Pipeline.Benchmarks.ModelStepBenchmark;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks;

internal static class OrpoStepBenchmark
{
    private const int Pairs = 4, Seq = 256, Prompt = 64;

    public static int Run(string[] args)
    {
        var steps = IntArg(args, "--steps", 4);
        var rounds = IntArg(args, "--rounds", 3);
        var threads = IntArg(args, "--threads", 2);
        set_num_interop_threads(threads);
        TorchRuntime.Configure(threads, IntArg(args, "--mmap-threshold", TorchRuntime.DefaultMmapThresholdBytes));
        if (IntArg(args, "--trim-threshold", 0) is > 0 and var trim)
            Mallopt(-1, trim); // M_TRIM_THRESHOLD: freed heap top kept up to this size instead of returned (and faulted in again)
        Console.WriteLine($"CPU: {PyTorchPeer.CpuDescription()}");
        Console.WriteLine($"orpo-step: {Pairs} pairs = {2 * Pairs} rows x {Seq} tokens ({Prompt} prompt), {threads} threads (intra-op and interop), " +
                          $"{rounds} alternating rounds of 1 warm-up + {steps} timed steps; load average {LoadAverage()}");
        var matmul = MatmulGflops();
        Console.WriteLine($"fp32 matmul 2048^3 (TorchSharp): {matmul:F1} GFLOP/s");
        var only = IntArg(args, "--hidden", 0);
        var rows = new List<string>();
        foreach (var (hidden, layers) in new[] { (256, 4), (512, 8) }.Where(c => only == 0 || c.Item1 == only))
        {
            var config = BenchConfig(hidden, layers);
            var (fp32, bf16, peers) = (new List<StepFigures>(), new List<StepFigures>(), new List<StepFigures>());
            PhaseTimes? phases = null;
            for (var r = 0; r < rounds; r++)
            {
                (var f, phases) = Ours(config, steps, bf16: false);
                fp32.Add(f);
                if (!args.Contains("--skip-bf16")) bf16.Add(Ours(config, steps, bf16: true).Figures);
                var peer = args.Contains("--skip-pytorch") ? null : PyTorchPeer("orpo_step.py",
                    ["--hidden", $"{hidden}", "--layers", $"{layers}", "--inter", $"{config.IntermediateSize}", "--vocab", $"{config.VocabSize}",
                     "--pairs", $"{Pairs}", "--seq", $"{Seq}", "--prompt", $"{Prompt}", "--steps", $"{steps}", "--warmup", "1", "--threads", $"{threads}"]);
                if (peer is not null) peers.Add(peer);
                Console.WriteLine($"  h{hidden}/L{layers} round {r + 1}: fp32 {f.TokensPerSecond:F0}" +
                                  (bf16.Count > r ? $", bf16 {bf16[r].TokensPerSecond:F0}" : "") +
                                  $", PyTorch {(peer is null ? "-" : peer.TokensPerSecond.ToString("F0", CultureInfo.InvariantCulture))} tok/s" +
                                  $" (loss {f.Loss:F4} vs {peer?.Loss ?? double.NaN:F4}); CPU s/step {f.CpuSecondsPerStep:F2} vs {peer?.CpuSecondsPerStep:F2}" +
                                  $", minor faults/step {f.MinorFaultsPerStep:F0} vs {peer?.MinorFaultsPerStep:F0}; load {LoadAverage()}");
            }
            Console.WriteLine($"  h{hidden}/L{layers} TorchSharp fp32 phases (last step): forward + loss + backward {phases!.ForwardMs:F0} ms, " +
                              $"clip {phases.ClipMs:F0} ms, AdamW {phases.OptimizerMs:F0} ms");
            rows.Add(Row($"h{hidden}/L{layers}", fp32, peers, FlopsPerToken(config), matmul));
            if (bf16.Count > 0) rows.Add(Row($"h{hidden}/L{layers}", bf16, peers, FlopsPerToken(config), matmul).Split(Environment.NewLine)[0]);
        }
        Console.WriteLine($"config     framework            median tok/s   peak RSS MiB   share of fp32 matmul   vs PyTorch   CPU s/step   faults/step   (load {LoadAverage()})");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallopt")]
    private static extern int Mallopt(int param, int value);

    private static (StepFigures Figures, PhaseTimes Phases) Ours(LlamaConfig config, int steps, bool bf16)
    {
        manual_seed(0);
        using var model = new CausalLm(config);
        using var mixed = bf16 ? Bf16MasterWeights.Attach(model) : null;
        var trainable = (mixed ?? (nn.Module)model).parameters().ToList();
        using var optimizer = PeerAdamW(trainable);
        var elapsed = TimeSpan.Zero;
        long peak = 0;
        double loss = 0;
        PhaseTimes phases = null!;
        var start = ProcessCounters();
        for (var step = 0; step < steps + 1; step++)
        {
            if (step == 1) start = ProcessCounters();
            var total = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var clock = Stopwatch.StartNew();
                var ids = randint(0, config.VocabSize, [2 * Pairs, Seq], dtype: ScalarType.Int64);     // (2B, T)
                var labels = ids.clone();
                labels[.., ..Prompt] = OrpoLoss.IgnoreIndex;
                var batch = new OrpoBatch(ids, ones_like(ids), labels);
                optimizer.ZeroGrad();
                // The trainer's pass: decoder, logits in chunks, TRL's loss, and the backward through them.
                var output = OrpoPass.ForwardBackward(model, batch, 0.1, new OrpoNormalizer(Pairs * (Seq - 1), Pairs), gradientCheckpointing: false);
                mixed?.PullGradients();
                var pass = Lap(clock);
                nn.utils.clip_grad_norm_(trainable, 1.0);
                var clip = Lap(clock);
                optimizer.Step();
                mixed?.PushWeights();
                phases = new PhaseTimes(pass, 0, 0, clip, Lap(clock));
                loss = output.Loss.item<float>();
            }
            if (step >= 1) elapsed += total.Elapsed;
            peak = Math.Max(peak, TorchRuntime.ResidentBytes());
        }
        var name = bf16 ? "TorchSharp 0.107 bf16" : "TorchSharp 0.107 fp32";
        var end = ProcessCounters();
        return (new StepFigures(name, 2 * Pairs * Seq * steps / elapsed.TotalSeconds, peak, loss,
            (end.CpuSeconds - start.CpuSeconds) / steps, (end.MinorFaults - start.MinorFaults) / (double)steps), phases);
    }
}
