// `./run bench real-size [--models qwen2.5-0.5b,qwen3-0.6b,llama-3.2-1b] [--modes lora,lora-fp32,full]
// [--all-modes-on qwen2.5-0.5b] [--steps N] [--threads N] [--work DIR] [--skip-pytorch]`: ORPO steps at the shapes users fine-tune (RealShapes: random bf16 weights,
// real tokenizers, 4 pairs x 251 tokens), each run in its own process so peak RSS is its own, next to the PyTorch peer
// (bench/pytorch/real_step.py: the same model, batch and step in float32, as a transformers user runs it by default).
// Modes: lora = bf16 base + float32 adapters (r 16 on all seven projections) + gradient checkpointing, the configuration
// users run; lora-fp32 = float32, no checkpointing (the peer's own configuration); full = every weight, bf16 compute
// with float32 masters + gradient checkpointing. Figures: docs/performance.md.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pipeline.Shared.Orpo;
using Pipeline.Training;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Benchmarks.RealSize;

internal static class RealSizeBenchmark
{
    private static readonly string[] AllTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public static int Run(string[] args)
    {
        var models = Arg(args, "--models", string.Join(",", RealShapes.All.Select(s => s.Name))).Split(',');
        var modes = Arg(args, "--modes", "lora,full").Split(',');
        // Modes other than lora run on these shapes only (a full fine-tuning step of every shape would take hours here).
        var allModesOn = Arg(args, "--all-modes-on", RealShapes.All[0].Name).Split(',');
        var steps = int.Parse(Arg(args, "--steps", "2"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        var work = Arg(args, "--work", Path.Combine(Path.GetTempPath(), "pipeline-real-size"));
        var repo = PyTorchPeer.RepoRoot();
        Console.WriteLine($"real-size: {RealShapes.Pairs} pairs x 2 x {RealShapes.SequenceTokens} tokens, 1 warm-up + {steps} timed steps, " +
                          $"{threads} threads; CPU: {PyTorchPeer.CpuDescription()}; {MemoryGb()} GB RAM; load average {ModelStepBenchmark.LoadAverage()}; " +
                          $"GLIBC_TUNABLES={Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "(unset)"} for both frameworks");
        var rows = new List<string>();
        foreach (var name in models)
        {
            var shape = RealShapes.Get(name);
            var clock = Stopwatch.StartNew();
            var dir = RealShapes.EnsureCheckpoint(shape, work, RealShapes.TokenizerDir(shape, repo));
            Console.WriteLine($"{name}: checkpoint {dir} ({new DirectoryInfo(dir).EnumerateFiles("*.safetensors").Sum(f => f.Length) / 1e9:F2} GB, {clock.Elapsed.TotalSeconds:F0} s)");
            var batchFile = WriteBatch(dir, Path.Combine(work, $"{name}.batch.json"));
            JsonElement? loraPeer = null;
            foreach (var mode in modes.Where(m => m == "lora" || allModesOn.Contains(name)))
            {
                var ours = Child(["real-size-run", "--model", name, "--mode", mode, "--steps", $"{steps}", "--threads", $"{threads}", "--work", work]);
                rows.Add(Row(name, mode, ours));
                Console.WriteLine(rows[^1]);
                if (args.Contains("--skip-pytorch"))
                    continue;
                var peerMode = mode == "full" ? "full" : "lora";
                var peer = peerMode == "lora" && loraPeer is not null ? loraPeer : PeerOrNull(shape, dir, batchFile, peerMode, steps, threads);
                if (peerMode == "lora") loraPeer = peer;
                if (peer is { } p && (mode != "lora-fp32" || !modes.Contains("lora")))
                {
                    rows.Add(Row(name, $"{peerMode} (peer)", p));
                    Console.WriteLine(rows[^1]);
                }
            }
        }
        Console.WriteLine();
        Console.WriteLine($"| shape | run | framework | load s | s/step | CPU s/step | tokens/s | peak RSS GB | RSS after load GB | RSS between steps GB | first loss |  (load average {ModelStepBenchmark.LoadAverage()})");
        Console.WriteLine("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        rows.ForEach(Console.WriteLine);
        return 0;
    }

    /// <summary>The PyTorch peer, or null when this machine lacks the memory for it (reported) or PyTorch.</summary>
    private static JsonElement? PeerOrNull(RealShape shape, string dir, string batchFile, string mode, int steps, int threads)
    {
        // float32 weights (x4 with gradients and Adam moments), about 7 copies of the (2B, T, V) float32 logits, runtime.
        var float32 = 2 * new DirectoryInfo(dir).EnumerateFiles("*.safetensors").Sum(f => f.Length);
        var logits = 4L * 2 * RealShapes.Pairs * RealShapes.SequenceTokens * shape.Config.VocabSize;
        var need = float32 * (mode == "full" ? 4 : 1) + 7 * logits + (2L << 30);
        if (AvailableBytes() < need)
        {
            Console.WriteLine($"  PyTorch peer {mode} skipped: needs about {need / 1e9:F0} GB, {AvailableBytes() / 1e9:F0} GB available");
            return null;
        }
        try
        {
            return PyTorchPeer.Run("real_step.py", ["--model-dir", dir, "--batch", batchFile, "--mode", mode, "--steps", $"{steps}", "--warmup", "1",
                "--threads", $"{threads}"], threads);
        }
        catch (InvalidOperationException e)
        {
            var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Console.WriteLine($"  PyTorch peer {mode} failed: {lines[0]} ... {lines[^1]}");
            return null;
        }
    }

    private static string Row(string shape, string mode, JsonElement r)
    {
        var perStep = ModelStepBenchmark.Median(r.GetProperty("step_s").EnumerateArray().Select(e => e.GetDouble()));
        var cpuPerStep = ModelStepBenchmark.Median(r.GetProperty("cpu_s").EnumerateArray().Select(e => e.GetDouble()));
        var tokens = r.GetProperty("tokens_per_step").GetDouble();
        static string Gb(JsonElement r, string key) => r.TryGetProperty(key, out var v) && v.GetInt64() > 0 ? $"{v.GetInt64() / 1e9:F2}" : "-";
        return $"| {shape} | {mode} | {r.GetProperty("framework").GetString()} | {r.GetProperty("load_s").GetDouble():F1} | {perStep:F1} | " +
               $"{cpuPerStep:F1} | {tokens / perStep:F0} | {Gb(r, "peak_rss_bytes")} | {Gb(r, "after_load_bytes")} | {Gb(r, "between_steps_bytes")} | " +
               $"{r.GetProperty("first_loss").GetDouble():F4} |";
    }

    /// <summary>`real-size-run`: one configuration in this process, printed as one JSON line.</summary>
    public static int RunOne(string[] args)
    {
        var shape = RealShapes.Get(Arg(args, "--model", ""));
        var mode = Arg(args, "--mode", "lora");
        var steps = int.Parse(Arg(args, "--steps", "2"), CultureInfo.InvariantCulture);
        var threads = int.Parse(Arg(args, "--threads", "2"), CultureInfo.InvariantCulture);
        var work = Arg(args, "--work", "");
        set_num_interop_threads(threads);
        TorchRuntime.Configure(threads);
        var dir = Path.Combine(work, shape.Name);
        var config = Config(mode, steps);
        var data = RealShapes.Batch(dir);

        var memory = MemoryMeter.Start(CPU);
        var clock = Stopwatch.StartNew();
        using var model = HfModelFolder.Load(dir, CPU, OrpoTrainer.LoadDtype(config));
        var loadSeconds = clock.Elapsed.TotalSeconds;
        using var adapter = config.Lora is { } lora ? LoraAdapter.Attach(model, lora) : null;
        adapter?.DisableDropout(); // TRL's disable_dropout default
        var stamps = new List<double>();
        var cpu = new List<double>(); // user + system CPU seconds of this process per step: robust to a loaded machine
        var losses = new List<double>();
        var stepClock = new Stopwatch();
        var cpuBefore = ModelStepBenchmark.ProcessCounters().CpuSeconds;
        var progress = new Progress(p =>
        {
            stamps.Add(stepClock.Elapsed.TotalSeconds);
            var now = ModelStepBenchmark.ProcessCounters().CpuSeconds;
            cpu.Add(now - cpuBefore);
            cpuBefore = now;
            losses.Add(p.Loss);
            stepClock.Restart();
        });
        stepClock.Start();
        var output = Directory.CreateTempSubdirectory("real-size-run-").FullName;
        var result = OrpoTrainer.Train(model, data, null, config, output, false, progress, CancellationToken.None, CPU, adapter, memory: memory);
        Directory.Delete(output, recursive: true);
        var json = new JsonObject
        {
            ["framework"] = $"TorchSharp 0.107 {(config.Bf16 == true ? "bf16" : "fp32")}{(config.GradientCheckpointing ? " + ckpt" : "")}",
            ["load_s"] = loadSeconds,
            ["step_s"] = new JsonArray([.. stamps.Skip(1).Select(s => (JsonNode)s)]), // the first step warms up oneDNN's kernels
            ["cpu_s"] = new JsonArray([.. cpu.Skip(1).Select(s => (JsonNode)s)]),
            ["tokens_per_step"] = data.Pairs.Sum(p => p.Tokens),
            ["peak_rss_bytes"] = result.PeakMemoryBytes,
            ["after_load_bytes"] = result.MemoryAfterSetupBytes,
            ["between_steps_bytes"] = result.MemoryBetweenStepsBytes,
            ["first_loss"] = losses[0], // before any update: the peer's first loss, for the same checkpoint and batch
        };
        Console.WriteLine(json.ToJsonString());
        return 0;
    }

    private static OrpoConfig Config(string mode, int steps) => new()
    {
        LearningRate = 1e-4, PerDeviceTrainBatchSize = RealShapes.Pairs, MaxSteps = 1 + steps, LoggingSteps = 1, SaveSteps = 0,
        MaxLength = RealShapes.SequenceTokens, WarmupSteps = 0, LrSchedulerType = "constant",
        UsePeft = mode is "lora" or "lora-fp32", LoraR = 16, LoraAlpha = 32, LoraTargetModules = AllTargets,
        Bf16 = mode is "lora" or "full", GradientCheckpointing = mode is "lora" or "full",
    };

    /// <summary>The collated batch as the peer reads it: input_ids, attention_mask, labels (2B, T).</summary>
    private static string WriteBatch(string modelDir, string path)
    {
        var data = RealShapes.Batch(modelDir);
        using var scope = NewDisposeScope();
        var batch = PairCollator.Collate(data.Pairs, data.PadTokenId);
        JsonArray Rows(Tensor t) => new([.. Enumerable.Range(0, (int)t.shape[0]).Select(i => (JsonNode)new JsonArray([.. t[i].data<long>().ToArray().Select(v => (JsonNode)v)]))]);
        File.WriteAllText(path, new JsonObject
        {
            ["input_ids"] = Rows(batch.InputIds), ["attention_mask"] = Rows(batch.AttentionMask), ["labels"] = Rows(batch.Labels),
        }.ToJsonString());
        return path;
    }

    /// <summary>Runs this benchmark executable again with <paramref name="args"/>; its last stdout line is JSON.</summary>
    private static JsonElement Child(string[] args)
    {
        var self = Environment.ProcessPath!;
        var start = Path.GetFileNameWithoutExtension(self) == "dotnet"
            ? new ProcessStartInfo(self, [Path.Combine(AppContext.BaseDirectory, "Pipeline.Benchmarks.dll"), .. args])
            : new ProcessStartInfo(self, args);
        start.RedirectStandardOutput = true;
        using var child = Process.Start(start)!;
        var lines = child.StandardOutput.ReadToEnd().Trim().Split('\n');
        child.WaitForExit();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"real-size-run {string.Join(' ', args)} exited with {child.ExitCode}");
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    private static long AvailableBytes() => long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal))
        .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    private static string MemoryGb() => $"{long.Parse(File.ReadLines("/proc/meminfo").First().Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1e6:F0}";

    private static string Arg(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    private sealed class Progress(Action<TrainProgress> report) : IProgress<TrainProgress>
    {
        public void Report(TrainProgress value) => report(value);
    }
}
