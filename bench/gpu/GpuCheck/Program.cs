// The GPU check (bench/gpu/check.sh run): does TorchSharp's shim bind to the device's PyTorch, and how fast and how big
// is the Qwen2.5-0.5B-shape LoRA step in bf16 through the trainer itself (load, adapter, OrpoTrainer.Train)?
// Prints s/step, tokens/s, device memory in use and MFU, with and without gradient checkpointing, at two batch sizes.
using System.Diagnostics;
using System.Globalization;
using Pipeline.Benchmarks.RealSize;
using Pipeline.Shared.Orpo;
using Pipeline.Training;
using Pipeline.Training.Checkpoints;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

string Arg(string name, string fallback) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
var work = Arg("--work", "/tmp/gpucheck-work");
var steps = int.Parse(Arg("--steps", "5"), CultureInfo.InvariantCulture);
var peakTflops = double.Parse(Arg("--peak-tflops", "989"), CultureInfo.InvariantCulture); // H100 / H200 SXM, dense bf16
var tokenizerDir = Arg("--tokenizer", Path.Combine(AppContext.BaseDirectory, "tokenizer"));
// --dry-run: one step of the first configuration on the CPU, to check the published program against a libtorch it
// does not carry (on the development machine: LD_LIBRARY_PATH at the libtorch-cpu-linux-x64 package's native folder).
var dryRun = args.Contains("--dry-run");

Console.WriteLine($"TorchSharp built for libtorch {torch.__version__}");
try
{
    if (dryRun)
        throw new OperationCanceledException("dry run: CPU");
    InitializeDeviceType(DeviceType.CUDA);
    Console.WriteLine($"CUDA: available {cuda.is_available()}, devices {cuda.device_count()}, cuDNN {cuda.is_cudnn_available()}");
}
catch (Exception e) when (e is not OperationCanceledException)
{
    Console.WriteLine($"FAILED to load the CUDA backend: {e.Message}");
    return 3;
}
catch (OperationCanceledException)
{
}
if (!dryRun && !cuda.is_available())
    return 4;
var device = dryRun ? CPU : CUDA;
if (dryRun)
    (steps, peakTflops) = (0, 1);

var shape = RealShapes.Get("qwen2.5-0.5b");
var dir = RealShapes.EnsureCheckpoint(shape, work, tokenizerDir);
var baseData = RealShapes.Batch(dir);
var c = shape.Config;
// Model FLOPs per token of a LoRA step: forward 2N + gradients of the activations 2N (frozen weights get none),
// N = matmul weights incl. lm_head; attention 4 L T h (QK^T and AV) twice. The recomputation of checkpointing is not counted.
double matmulParams = c.NumHiddenLayers * ((double)c.HiddenSize * c.HeadSize * (2 * c.NumAttentionHeads + 2 * c.KvHeads)
    + 3.0 * c.HiddenSize * c.IntermediateSize) + (double)c.VocabSize * c.HiddenSize;

foreach (var (pairs, repeat) in dryRun ? [(4, 1)] : new[] { (4, 1), (16, 4) })
{
    // 16 pairs: the 4 pairs of 251 tokens, each 4 times (one batch of 32 sequences).
    var data = baseData with { Pairs = [.. Enumerable.Range(0, repeat).SelectMany(_ => baseData.Pairs)], Lines = [.. Enumerable.Range(1, pairs)] };
    var tokens = data.Pairs.Sum(p => (long)p.Tokens);
    var flopsPerToken = 2 * (2 * matmulParams + 4.0 * c.NumHiddenLayers * RealShapes.SequenceTokens * c.NumAttentionHeads * c.HeadSize);
    foreach (var checkpointing in dryRun ? [true] : new[] { true, false })
    {
        var config = new OrpoConfig
        {
            LearningRate = 1e-4, PerDeviceTrainBatchSize = pairs, MaxSteps = 1 + steps, LoggingSteps = 1, SaveSteps = 0,
            MaxLength = RealShapes.SequenceTokens, LrSchedulerType = "constant", UsePeft = true, Bf16 = true,
            GradientCheckpointing = checkpointing, LoraR = 16, LoraAlpha = 32,
            LoraTargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        };
        var memory = MemoryMeter.Start(device);
        var load = Stopwatch.StartNew();
        using var model = HfModelFolder.Load(dir, device, OrpoTrainer.LoadDtype(config));
        var loadSeconds = load.Elapsed.TotalSeconds;
        using var adapter = LoraAdapter.Attach(model, config.Lora!);
        adapter.DisableDropout();
        var stamps = new List<double>();
        var clock = Stopwatch.StartNew();
        var output = Directory.CreateTempSubdirectory("gpucheck-").FullName;
        var result = OrpoTrainer.Train(model, data, null, config, output, false, new StepClock(() =>
        {
            if (device.type == DeviceType.CUDA) cuda.synchronize(); // the step already waited for its guard; this makes the clock exact
            stamps.Add(clock.Elapsed.TotalSeconds);
            clock.Restart();
        }), CancellationToken.None, device, adapter, memory: memory);
        var timed = stamps.Count > 1 ? stamps.Skip(1).ToList() : stamps; // the first step warms up (a dry run has only it)
        var perStep = timed.Order().ElementAt(timed.Count / 2);                  // median
        var mfu = flopsPerToken * tokens / perStep / (peakTflops * 1e12);
        Console.WriteLine($"qwen2.5-0.5b LoRA bf16, {pairs} pairs x 2 x {RealShapes.SequenceTokens} tokens, checkpointing {(checkpointing ? "on " : "off")}: " +
                          $"load {loadSeconds:F1} s, {perStep * 1000:F0} ms/step, {tokens / perStep:F0} tokens/s, " +
                          $"device memory in use {result.PeakMemoryBytes / 1e9:F2} GB (after setup {result.MemoryAfterSetupBytes / 1e9:F2}), " +
                          $"MFU {mfu:P1} of {peakTflops} TFLOP/s, loss {result.TrainLoss:F4}");
        Directory.Delete(output, recursive: true);
    }
}
return 0;

internal sealed class StepClock(Action onStep) : IProgress<TrainProgress>
{
    public void Report(TrainProgress value)
    {
        if (!value.IsEval) onStep();
    }
}
