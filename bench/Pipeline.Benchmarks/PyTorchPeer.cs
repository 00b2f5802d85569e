// Runs a PyTorch peer script (bench/pytorch/*.py) under Debian's python3-torch, installed by install-torch.sh when
// missing. OpenBLAS 0.3.21 does not recognise some VM CPUs and falls back to SSE3 "Prescott" kernels (5-8x slower
// sgemm), so every peer gets OPENBLAS_CORETYPE from the CPU's flags and the core OpenBLAS reports is printed.
using System.Diagnostics;
using System.Text.Json;

namespace Pipeline.Benchmarks;

internal static class PyTorchPeer
{
    /// <summary>SkylakeX with AVX-512, Haswell with AVX2, else null (let OpenBLAS detect).</summary>
    internal static string? OpenBlasCoreType()
    {
        var flags = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        return flags.Contains("avx512f") ? "SkylakeX" : flags.Contains("avx2") ? "Haswell" : null;
    }

    /// <summary>The CPU model and its vector flags, for benchmark headers (machines of one kind differ).</summary>
    internal static string CpuDescription()
    {
        var lines = File.ReadLines("/proc/cpuinfo").ToList();
        var model = lines.FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";
        var flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal))?.Split(' ') ?? [];
        var wanted = new[] { "avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile" };
        return $"{model}, {Environment.ProcessorCount} cores, {string.Join(" ", wanted.Where(flags.Contains))}";
    }

    /// <summary>Runs bench/pytorch/<paramref name="script"/>; its last stdout line is a JSON object. Null when PyTorch cannot be installed.</summary>
    internal static JsonElement? Run(string script, IReadOnlyList<string> scriptArgs, int threads)
    {
        var root = RepoRoot();
        using (var install = Process.Start(new ProcessStartInfo("bash", Path.Combine(root, "bench", "pytorch", "install-torch.sh")))!)
        {
            install.WaitForExit();
            if (install.ExitCode != 0)
            {
                Console.WriteLine("  (PyTorch peer skipped: bench/pytorch/install-torch.sh failed)");
                return null;
            }
        }
        var start = new ProcessStartInfo("/usr/bin/python3", [Path.Combine(root, "bench", "pytorch", script), .. scriptArgs]) // Debian's interpreter
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["OMP_NUM_THREADS"] = $"{threads}", ["OPENBLAS_NUM_THREADS"] = $"{threads}", ["OPENBLAS_VERBOSE"] = "2" },
        };
        if (OpenBlasCoreType() is { } core)
            start.Environment["OPENBLAS_CORETYPE"] = core;
        using var python = Process.Start(start)!;
        var stderr = python.StandardError.ReadToEndAsync();
        var lines = python.StandardOutput.ReadToEnd().Trim().Split('\n');
        python.WaitForExit();
        var errors = stderr.Result;
        var reported = errors.Split('\n').FirstOrDefault(l => l.Contains("Core:", StringComparison.Ordinal))?.Trim() ?? "no core line";
        Console.WriteLine($"  PyTorch peer {script}: OPENBLAS_CORETYPE={start.Environment["OPENBLAS_CORETYPE"] ?? "(unset)"}, OpenBLAS reports '{reported}'");
        if (python.ExitCode != 0)
            throw new InvalidOperationException($"bench/pytorch/{script} exited with {python.ExitCode}: {errors[^Math.Min(errors.Length, 2000)..]}");
        return JsonDocument.Parse(lines[^1]).RootElement.Clone();
    }

    internal static string RepoRoot()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Pipeline.sln")))
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new DirectoryNotFoundException("no Pipeline.sln above the benchmark");
        return root;
    }
}
