// Runs an entry point in a child process under a managed-heap cap (DOTNET_GCHeapHardLimit): if a reader regresses and
// allocates what a file claims, the child fails with OutOfMemoryException and the test fails, not the machine.
using System.Diagnostics;

namespace Pipeline.Testing.Hostile;

public sealed record ProcessResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

public static class CappedProcess
{
    /// <summary>The managed heap a child may use: the 300 MB peak-memory goal less the runtime's own share.</summary>
    public const long HeapLimitBytes = 256L << 20;

    /// <summary>The `pipeline` command line, copied beside every test assembly that references Pipeline.Testing.</summary>
    public static string Cli => Path.Combine(AppContext.BaseDirectory, "pipeline");

    /// <summary>`dotnet` running <paramref name="assembly"/> (a test assembly with its own Main for child modes).</summary>
    public static Task<ProcessResult> RunAssemblyAsync(string assembly, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null) =>
        RunAsync(DotnetHost(), [assembly, .. args], env, timeout);

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null,
        TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_GCHeapHardLimit"] = $"0x{HeapLimitBytes:X}";
        // One heap, as a container with few cores gets; Server GC would size per-core heaps under the same cap.
        psi.Environment["DOTNET_gcServer"] = "0";
        foreach (var (key, value) in env ?? new Dictionary<string, string>()) psi.Environment[key] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{fileName} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish within {timeout ?? TimeSpan.FromMinutes(3)}");
        }
        return new ProcessResult(process.ExitCode, await stdout, await stderr);
    }

    private static string DotnetHost() =>
        Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
}
