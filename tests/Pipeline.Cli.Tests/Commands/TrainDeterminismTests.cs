// `pipeline train` as separate processes, as a user runs it: the same seed gives the same weight bytes, and a run
// killed with SIGKILL after a checkpoint and continued with --resume in a new process ends with those same bytes.
using System.Diagnostics;
using System.Security.Cryptography;
using Pipeline.Testing;
using Xunit.Abstractions;

namespace Pipeline.Cli.Tests.Commands;

public sealed class TrainDeterminismTests(ITestOutputHelper output)
{
    // The tiny-llama fixture's 6 pairs in batches of 2: 3 batches an epoch, so the run crosses 8 shuffled epochs and
    // the killed run, stopped at its first checkpoint (step 4), resumes mid-epoch. The steps after it leave the test
    // time to see that checkpoint and kill the process even on a loaded machine.
    private const int Steps = 24, SaveSteps = 4;

    public static TheoryData<string, string[]> Modes => new()
    {
        { "full", [] },
        { "lora", ["--use_peft", "true", "--lora_r", "4", "--lora_alpha", "8"] },
        { "bf16", ["--bf16", "true"] },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Same_seed_gives_the_same_weights_in_two_processes_and_a_killed_run_resumes_to_them(string mode, string[] extra)
    {
        using var scratch = new TempDir();
        var root = scratch.Path;
        string[] Args(string output) =>
        [
            "train", "--model", RepoPaths.TinyLlama, "--data", Path.Combine(RepoPaths.TinyLlama, "data.jsonl"), "--output", output,
            "--max_steps", $"{Steps}", "--per_device_train_batch_size", "2", "--learning_rate", "1e-3", "--save_steps", $"{SaveSteps}",
            "--logging_steps", "4", "--eval_steps", "0", "--seed", "7", "--group_by_length", "false", .. extra,
        ];
        var (a, b, killed) = (Path.Combine(root, "a"), Path.Combine(root, "b"), Path.Combine(root, "killed"));

        await RunToEndAsync(Args(a));
        await RunToEndAsync(Args(b));
        var reference = WeightHashes(a);
        Assert.NotEmpty(reference);
        Assert.Equal(reference, WeightHashes(b));

        // Killed (SIGKILL: no chance to clean up) as soon as its first checkpoint is complete, then resumed elsewhere.
        using (var process = Start(Args(killed)))
        {
            var checkpoints = Path.Combine(killed, "checkpoints");
            var clock = Stopwatch.StartNew();
            while (!(Directory.Exists(checkpoints) && Directory.GetDirectories(checkpoints, "checkpoint-*").Any(d => !d.EndsWith(".tmp", StringComparison.Ordinal))))
            {
                if (process.HasExited) Assert.Fail($"{mode}: the run ended before its first checkpoint: {await process.StandardError.ReadToEndAsync()}");
                Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"{mode}: no checkpoint after 2 minutes");
                Thread.Sleep(5); // a blocking poll: a thread-pool delay can oversleep on a busy machine
            }
            process.Kill();
            await process.WaitForExitAsync();
            Assert.False(File.Exists(Path.Combine(killed, "train_summary.json")),
                $"{mode}: the run finished before it was killed (exit {process.ExitCode}): {string.Join(", ", Directory.GetFileSystemEntries(killed))}");
        }
        await RunToEndAsync([.. Args(killed), "--resume"]);

        var resumed = WeightHashes(killed);
        foreach (var (file, sha) in reference) output.WriteLine($"{mode}: {file} sha256 {sha} (run a), {WeightHashes(b)[file]} (run b), {resumed.GetValueOrDefault(file)} (killed + resumed)");
        Assert.Equal(reference, resumed);
    }

    /// <summary>SHA-256 of every safetensors file of the output (model or adapter, and a merged model), by relative path.</summary>
    private static Dictionary<string, string> WeightHashes(string output) =>
        Directory.EnumerateFiles(output, "*.safetensors", SearchOption.AllDirectories)
            .Where(p => !Path.GetRelativePath(output, p).StartsWith("checkpoints", StringComparison.Ordinal))
            .ToDictionary(p => Path.GetRelativePath(output, p), p => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(p))));

    private static async Task RunToEndAsync(string[] args)
    {
        using var process = Start(args);
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"pipeline {string.Join(' ', args)} exited {process.ExitCode}: {await stderr}{await stdout}");
    }

    private static Process Start(string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "pipeline"))
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var arg in args) psi.ArgumentList.Add(arg);
        return Process.Start(psi)!;
    }
}
