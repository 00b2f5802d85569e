// `pipeline watch`: ingest every file that lands in incoming/{target}/ (the blob function's job, for local storage).
using System.CommandLine;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Cli.Local;

namespace Pipeline.Cli.Commands;

public static class WatchCommand
{
    public static Command Create()
    {
        var target = new Option<string?>("--target") { Description = "Watch only incoming/{target}/ (default: every target)." };
        var pollMs = new Option<int>("--poll-ms") { Description = "Milliseconds between listings of incoming/.", DefaultValueFactory = _ => 1000 };
        var once = new Option<bool>("--once") { Description = "Ingest what is there now and exit (exit code 1 if a file was quarantined, misnamed, parked or failed)." };
        var command = new Command("watch", $"Ingest files as they land in incoming/ (storage from ${StorageOptions.EnvironmentVariable}, default Azurite).")
        {
            target, pollMs, once,
        };
        command.SetAction(async (ParseResult r, CancellationToken ct) =>
        {
            var storage = StorageOptions.FromEnvironment().Validated();
            await using var ingestion = LocalIngestion.Create(storage);
            var watcher = new IncomingWatcher(storage.BlobService(), ingestion.Service, new WatcherOptions
            {
                Target = r.GetValue(target),
                PollInterval = TimeSpan.FromMilliseconds(r.GetValue(pollMs)),
            });
            if (r.GetValue(once))
            {
                var results = await watcher.ScanOnceAsync(ct);
                foreach (var result in results) Print(result);
                if (watcher.FilesWaitingToRetry > 0) Console.WriteLine($"{watcher.FilesWaitingToRetry} files failed and were not parked yet (run again to retry)");
                return results.Any(x => x.Outcome is IngestOutcome.Quarantined or IngestOutcome.InvalidName or IngestOutcome.Parked)
                       || watcher.FilesWaitingToRetry > 0 ? 1 : 0;
            }
            Console.WriteLine($"watching {StorageLayout.Incoming}/{r.GetValue(target) ?? "*"}/ (Ctrl+C to stop)");
            await watcher.RunAsync(Print, ct);
            return 0;
        });
        return command;
    }

    private static void Print(IngestionResult result) =>
        Console.WriteLine($"{StorageLayout.Incoming}/{result.Target}/{result.FileName}: {result.Outcome.ToString().ToLowerInvariant()}: {result.Message}");
}
