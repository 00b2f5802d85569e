// `./run bench model-step [--steps N] [--threads N] [--flat-steps N] [--hidden 256|512] [--pytorch-first] [--skip-pytorch]`: one training step (forward,
// cross-entropy, backward, clip, AdamW; batch 8 x 256, fp32) of the Llama model in TorchSharp, and back to back the
// same model and step in PyTorch eager (bench/pytorch/model_step.py); then a 200-step memory flatness run.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pipeline.Trainer;
using Pipeline.Trainer.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks;

internal static class ModelStepBenchmark
{
    private const int Batch = 8, Seq = 256, Gpt2Vocab = 50257;

    private sealed record StepFigures(string Framework, double TokensPerSecond, long PeakRssBytes, double MatmulGflops);

    public static int Run(string[] args)
    {
        var steps = IntArg(args, "--steps", 10);
        var threads = IntArg(args, "--threads", 2);
        var flatSteps = IntArg(args, "--flat-steps", 200);
        TorchRuntime.Configure(threads);
        Console.WriteLine($"model-step: batch {Batch} x {Seq}, fp32, {threads} threads, {steps} timed steps after 2 warm-up; " +
                          $"load average at start {File.ReadAllText("/proc/loadavg").Split(' ')[0]} (CPU shared with other work)");
        var matmul = MatmulGflops();
        Console.WriteLine($"fp32 matmul 2048^3 (TorchSharp): {matmul:F1} GFLOP/s");
        Console.WriteLine("config            framework            tokens/s   peak RSS MiB   share of matmul rate   vs PyTorch");
        var only = IntArg(args, "--hidden", 0);
        foreach (var (hidden, layers) in new[] { (256, 4), (512, 8) }.Where(c => only == 0 || c.Item1 == only))
        {
            var config = BenchConfig(hidden, layers);
            var flopsPerToken = FlopsPerToken(config);
            // Under a shared CPU the load drifts: --pytorch-first swaps the order to show how much that matters.
            var peerFirst = args.Contains("--pytorch-first");
            var peer = peerFirst ? PyTorchStep(config, steps, threads) : null;
            var ours = TorchSharpStep(config, steps, matmul);
            if (!peerFirst && !args.Contains("--skip-pytorch"))
                peer = PyTorchStep(config, steps, threads);
            foreach (var f in new[] { ours, peer }.OfType<StepFigures>())
                Console.WriteLine($"h{hidden}/L{layers,-12} {f.Framework,-20} {f.TokensPerSecond,8:F0}   {f.PeakRssBytes / 1048576.0,12:F0}   " +
                                  $"{f.TokensPerSecond * flopsPerToken / (matmul * 1e9),20:P1}   " +
                                  (f == ours && peer is not null ? $"{ours.TokensPerSecond / peer.TokensPerSecond:F2}x" : ""));
        }
        if (flatSteps > 0)
            Flatness(flatSteps);
        return 0;
    }

    private static LlamaConfig BenchConfig(int hidden, int layers) => new()
    {
        VocabSize = Gpt2Vocab, HiddenSize = hidden, IntermediateSize = hidden * 8 / 3 / 64 * 64, NumHiddenLayers = layers,
        NumAttentionHeads = hidden / 64, NumKeyValueHeads = hidden / 64, MaxPositionEmbeddings = Seq, RmsNormEps = 1e-5,
    };

    /// <summary>nanoGPT's estimate: 6 x matmul parameters (lm_head included, embedding lookup not) + attention 12 L H T.</summary>
    private static double FlopsPerToken(LlamaConfig c)
    {
        double h = c.HiddenSize, matmulParams = c.NumHiddenLayers * (4 * h * h + 3 * h * c.IntermediateSize) + c.VocabSize * h;
        return 6 * matmulParams + 12 * c.NumHiddenLayers * h * Seq;
    }

    private static StepFigures TorchSharpStep(LlamaConfig config, int steps, double matmul)
    {
        manual_seed(0);
        using var model = new CausalLm(config);
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
        var elapsed = TimeSpan.Zero;
        long peak = 0;
        for (var step = 0; step < steps + 2; step++)
        {
            var clock = Stopwatch.StartNew();
            TrainStep(model, optimizer, config.VocabSize, Batch, Seq);
            if (step >= 2)
                elapsed += clock.Elapsed;
            peak = Math.Max(peak, TorchRuntime.ResidentBytes());
        }
        return new StepFigures("TorchSharp 0.107", Batch * Seq * steps / elapsed.TotalSeconds, peak, matmul);
    }

    private static void TrainStep(CausalLm model, optim.Optimizer optimizer, int vocab, int batch, int seq)
    {
        using var scope = NewDisposeScope();
        var ids = randint(0, vocab, [batch, seq], dtype: ScalarType.Int64);                        // (B, T)
        var logits = model.forward(ids, null);                                                    // (B, T, V)
        var loss = nn.functional.cross_entropy(logits.narrow(1, 0, seq - 1).reshape(-1, vocab), ids.narrow(1, 1, seq - 1).reshape(-1));
        optimizer.zero_grad();
        loss.backward();
        nn.utils.clip_grad_norm_(model.parameters(), 1.0);
        optimizer.step();
    }

    private static StepFigures? PyTorchStep(LlamaConfig config, int steps, int threads)
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pipeline.sln")))
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("no Pipeline.sln above the benchmark");
        var install = Process.Start(new ProcessStartInfo("bash", Path.Combine(root, "bench", "pytorch", "install-torch.sh")))!;
        install.WaitForExit();
        if (install.ExitCode != 0)
        {
            Console.WriteLine("  (PyTorch peer skipped: bench/pytorch/install-torch.sh failed)");
            return null;
        }
        var start = new ProcessStartInfo("/usr/bin/python3", // Debian's interpreter, where python3-torch is installed
            [Path.Combine(root, "bench", "pytorch", "model_step.py"), "--hidden", $"{config.HiddenSize}", "--layers", $"{config.NumHiddenLayers}",
             "--inter", $"{config.IntermediateSize}", "--vocab", $"{config.VocabSize}", "--steps", $"{steps}", "--threads", $"{threads}"])
        {
            RedirectStandardOutput = true,
            Environment = { ["OMP_NUM_THREADS"] = $"{threads}", ["OPENBLAS_NUM_THREADS"] = $"{threads}" },
        };
        using var python = Process.Start(start)!;
        var line = python.StandardOutput.ReadToEnd().Trim().Split('\n')[^1];
        python.WaitForExit();
        if (python.ExitCode != 0)
            throw new InvalidOperationException($"bench/pytorch/model_step.py exited with {python.ExitCode}");
        var json = JsonDocument.Parse(line).RootElement;
        return new StepFigures(json.GetProperty("framework").GetString()!, json.GetProperty("tokens_per_s").GetDouble(),
            json.GetProperty("peak_rss_bytes").GetInt64(), json.GetProperty("matmul_gflops").GetDouble());
    }

    /// <summary>Live tensors and RSS over many steps of the tiny preset: both must stay flat.</summary>
    private static void Flatness(int steps)
    {
        var config = ModelPresets.Get("tiny");
        manual_seed(0);
        using var model = new CausalLm(config);
        using var optimizer = optim.AdamW(model.parameters(), lr: 1e-4);
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

    private static double MatmulGflops(int n = 2048, int reps = 10)
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

    private static int IntArg(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }
}
