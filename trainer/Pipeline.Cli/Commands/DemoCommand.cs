// `pipeline demo` (= `./run demo`): the whole pipeline on this machine, from generated data to three model versions.
using System.CommandLine;
using System.Runtime.InteropServices;
using Pipeline.Shared.Storage;
using Pipeline.Cli.Demo;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

public static class DemoCommand
{
    public static Command Create()
    {
        var storage = new Option<string?>("--storage")
        {
            Description = $"Storage connection string to use instead of starting Azurite (default: ${StorageOptions.EnvironmentVariable} when set).",
        };
        var reuse = new Option<bool>("--reuse") { Description = "Keep the previous run's state in .demo/ (its Azurite data): repeats are recognised, not retrained." };
        var pairs = new Option<int>("--pairs") { Description = "Pairs in each of the three generated files.", DefaultValueFactory = _ => 240 };
        var device = new Option<string>("--device") { Description = "auto (CUDA when present), cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var stateDir = new Option<string>("--state") { Description = "Folder for the demo's local state.", DefaultValueFactory = _ => ".demo" };
        var command = new Command("demo", "Run the local end-to-end demo: Azurite, ingestion, ORPO training, three versions through the gate (the third refused).")
        {
            storage, reuse, pairs, device, stateDir,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var root = RepoRoot();
            var connection = r.GetValue(storage) ?? (Environment.GetEnvironmentVariable(StorageOptions.EnvironmentVariable) is { Length: > 0 } s ? s : null);
            var options = new DemoOptions
            {
                RepoRoot = root,
                StateDir = Path.GetFullPath(r.GetValue(stateDir)!, root),
                ConnectionString = connection,
                PairsPerFile = r.GetValue(pairs),
                Device = r.GetValue(device)!,
            };
            // A terminal gets Spectre's colours; a log file (output redirected) plain text, 80 columns wide.
            var console = SpectreProgress.CreateConsole(Console.Out, Console.IsOutputRedirected);
            var screen = new SpectreProgress(console);
            // Ctrl+C cancels `ct`; SIGTERM and SIGHUP (a closed terminal) cancel too, so the demo always stops the
            // worker and the Azurite it started instead of leaving them behind.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
            using var hup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, c => { c.Cancel = true; stop.Cancel(); });
            try
            {
                var result = await new DemoRunner(options, screen).RunAsync(r.GetValue(reuse), stop.Token);
                screen.Summary(result);
                return 0;
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                console.MarkupLine("[yellow]demo cancelled:[/] worker, watcher and Azurite stopped");
                return 130;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or TimeoutException or FileNotFoundException)
            {
                console.MarkupLine($"[red]demo stopped:[/] {Markup.Escape(e.Message)}");
                return 1;
            }
        });
        return command;
    }

    // The repository root: the nearest folder above the working directory (or the executable) holding Pipeline.sln.
    private static string RepoRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) return dir.FullName;
        return Directory.GetCurrentDirectory();
    }
}
