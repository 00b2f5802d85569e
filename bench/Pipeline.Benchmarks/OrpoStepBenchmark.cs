// `./run bench orpo-step [--steps N] [--threads N] [--skip-pytorch] [--skip-bf16] [--small-only]`: one ORPO optimizer step (4 pairs =
// 8 rows x 256 tokens, 64 prompt tokens; forward, TRL loss, backward, clip, AdamW) in TorchSharp fp32 and bf16 (float32
// master weights), and the same step in PyTorch eager (bench/pytorch/orpo_step.py, TRL's loss transcribed).
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Trainer;
using Pipeline.Trainer.Model;
using Pipeline.Trainer.Orpo;
using Pipeline.Trainer.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks;

internal static class OrpoStepBenchmark
{
    private const int Pairs = 4, Seq = 256, Prompt = 64, Gpt2Vocab = 50257;

    private sealed record StepFigures(string Framework, double TokensPerSecond, long PeakRssBytes, double Loss);

    public static int Run(string[] args)
    {
        var steps = IntArg(args, "--steps", 10);
        var threads = IntArg(args, "--threads", 2);
        TorchRuntime.Configure(threads);
        Console.WriteLine($"orpo-step: {Pairs} pairs = {2 * Pairs} rows x {Seq} tokens ({Prompt} prompt), {threads} threads, {steps} timed steps " +
                          $"after 2 warm-up; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (CPU shared with other work)");
        var matmul = MatmulGflops();
        Console.WriteLine($"fp32 matmul 2048^3 (TorchSharp): {matmul:F1} GFLOP/s");
        Console.WriteLine("config        framework              tokens/s   peak RSS MiB   share of fp32 matmul   vs PyTorch   loss");
        foreach (var (hidden, layers) in new[] { (256, 4), (512, 8) }.Take(args.Contains("--small-only") ? 1 : 2))
        {
            var config = new LlamaConfig
            {
                VocabSize = Gpt2Vocab, HiddenSize = hidden, IntermediateSize = hidden * 8 / 3 / 64 * 64, NumHiddenLayers = layers,
                NumAttentionHeads = hidden / 64, NumKeyValueHeads = hidden / 64, MaxPositionEmbeddings = Seq, RmsNormEps = 1e-5,
            };
            double h = hidden, flopsPerToken = 6 * (layers * (4 * h * h + 3 * h * config.IntermediateSize) + Gpt2Vocab * h) + 12 * layers * h * Seq;
            var fp32 = Ours(config, steps, bf16: false);
            var bf16 = args.Contains("--skip-bf16") ? null : Ours(config, steps, bf16: true);
            var peer = args.Contains("--skip-pytorch") ? null : PyTorch(config, steps, threads);
            foreach (var f in new[] { fp32, bf16, peer }.OfType<StepFigures>())
                Console.WriteLine($"h{hidden}/L{layers,-8} {f.Framework,-22} {f.TokensPerSecond,8:F0}   {f.PeakRssBytes / 1048576.0,12:F0}   " +
                                  $"{f.TokensPerSecond * flopsPerToken / (matmul * 1e9),20:P1}   " +
                                  $"{(peer is not null && f != peer ? $"{f.TokensPerSecond / peer.TokensPerSecond:F2}x" : ""),10}   {f.Loss:F4}");
        }
        return 0;
    }

    private static StepFigures Ours(LlamaConfig config, int steps, bool bf16)
    {
        manual_seed(0);
        using var model = new CausalLm(config);
        using var mixed = bf16 ? Bf16MasterWeights.Attach(model) : null;
        using var optimizer = optim.AdamW((mixed ?? (nn.Module)model).parameters(), lr: 1e-4);
        var elapsed = TimeSpan.Zero;
        long peak = 0;
        double loss = 0;
        for (var step = 0; step < steps + 2; step++)
        {
            var clock = Stopwatch.StartNew();
            using (var scope = NewDisposeScope())
            {
                var ids = randint(0, config.VocabSize, [2 * Pairs, Seq], dtype: ScalarType.Int64);     // (2B, T)
                var labels = ids.clone();
                labels[.., ..Prompt] = OrpoLoss.IgnoreIndex;
                var batch = new OrpoBatch(ids, ones_like(ids), labels);
                var output = OrpoLoss.Compute(model.forward(ids, null), batch, 0.1);                    // logits (2B, T, V)
                optimizer.zero_grad();
                output.Loss.backward();
                mixed?.PullGradients();
                nn.utils.clip_grad_norm_((mixed ?? (nn.Module)model).parameters(), 1.0);
                optimizer.step();
                mixed?.PushWeights();
                loss = output.Loss.item<float>();
            }
            if (step >= 2) elapsed += clock.Elapsed;
            peak = Math.Max(peak, TorchRuntime.ResidentBytes());
        }
        return new StepFigures(bf16 ? "TorchSharp 0.107 bf16" : "TorchSharp 0.107 fp32", 2 * Pairs * Seq * steps / elapsed.TotalSeconds, peak, loss);
    }

    private static StepFigures? PyTorch(LlamaConfig config, int steps, int threads)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pipeline.sln")))
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("no Pipeline.sln above the benchmark");
        using (var install = Process.Start(new ProcessStartInfo("bash", Path.Combine(root, "bench", "pytorch", "install-torch.sh")))!)
        {
            install.WaitForExit();
            if (install.ExitCode != 0)
            {
                Console.WriteLine("  (PyTorch peer skipped: bench/pytorch/install-torch.sh failed)");
                return null;
            }
        }
        var start = new ProcessStartInfo("/usr/bin/python3",
            [Path.Combine(root, "bench", "pytorch", "orpo_step.py"), "--hidden", $"{config.HiddenSize}", "--layers", $"{config.NumHiddenLayers}",
             "--inter", $"{config.IntermediateSize}", "--vocab", $"{config.VocabSize}", "--pairs", $"{Pairs}", "--seq", $"{Seq}",
             "--prompt", $"{Prompt}", "--steps", $"{steps}", "--threads", $"{threads}"])
        {
            RedirectStandardOutput = true,
            Environment = { ["OMP_NUM_THREADS"] = $"{threads}", ["OPENBLAS_NUM_THREADS"] = $"{threads}" },
        };
        using var python = Process.Start(start)!;
        var line = python.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        python.WaitForExit();
        if (python.ExitCode != 0)
            throw new InvalidOperationException($"bench/pytorch/orpo_step.py exited with {python.ExitCode}");
        var json = JsonDocument.Parse(line).RootElement;
        return new StepFigures(json.GetProperty("framework").GetString()!, json.GetProperty("tokens_per_s").GetDouble(),
            json.GetProperty("peak_rss_bytes").GetInt64(), json.GetProperty("loss").GetDouble());
    }

    private static double MatmulGflops(int n = 2048, int reps = 10)
    {
        using var scope = NewDisposeScope();
        var a = randn(n, n);
        var b = randn(n, n);
        matmul(a, b);
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < reps; i++) matmul(a, b).Dispose();
        return 2.0 * n * n * n * reps / clock.Elapsed.TotalSeconds / 1e9;
    }

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
