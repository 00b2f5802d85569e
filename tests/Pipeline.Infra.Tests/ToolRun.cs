// Runs a command-line tool (bicep, dotnet) to completion and returns its exit code and output.
using System.Diagnostics;

namespace Pipeline.Infra.Tests;

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Output => (StandardOutput + StandardError).Trim();
}

public static class ToolRun
{
    /// <summary>Runs <paramref name="fileName"/>; <paramref name="environment"/> sets (or, with null, removes) variables.</summary>
    public static async Task<ToolResult> RunAsync(string fileName, IEnumerable<string> args, string workingDirectory, TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) info.ArgumentList.Add(a);
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
            if (value is null) info.Environment.Remove(name);
            else info.Environment[name] = value;

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', args)} did not finish in {timeout}");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}
