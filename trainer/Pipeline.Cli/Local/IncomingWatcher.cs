// Local stand-in for the blob-trigger function: polls incoming/ and hands each new blob to the SAME IngestionService
// the function calls (Azurite has no Event Grid). Ingestion is idempotent, so a file seen again after a restart is a no-op.
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Ingestion;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;

namespace Pipeline.Cli.Local;

/// <summary>Options of the local watcher, validated at construction.</summary>
public sealed record WatcherOptions
{
    /// <summary>Pause between listings of incoming/.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Only this target's folder (incoming/{target}/); null watches every target.</summary>
    public string? Target { get; init; }

    public WatcherOptions Validated()
    {
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentException($"watcher poll interval must be positive (got {PollInterval})");
        if (Target is not null && TargetName.Problem(Target) is { } problem) throw new ArgumentException($"watcher target: {problem}");
        return this;
    }
}

public sealed class IncomingWatcher
{
    private readonly BlobContainerClient _incoming;
    private readonly IngestionService _ingestion;
    private readonly WatcherOptions _options;
    private readonly ILogger _log;
    // Blob name -> ETag already handed to ingestion; a blob is ingested again only if it is replaced.
    private readonly Dictionary<string, string> _seen = [];

    public IncomingWatcher(BlobServiceClient blobs, IngestionService ingestion, WatcherOptions options, ILogger<IncomingWatcher>? logger = null)
    {
        _options = options.Validated();
        _incoming = blobs.GetBlobContainerClient(StorageLayout.Incoming);
        _ingestion = ingestion;
        _log = logger ?? NullLogger<IncomingWatcher>.Instance;
    }

    /// <summary>Ingests every blob in incoming/ not handed over yet, oldest first; returns what happened to each.</summary>
    public async Task<IReadOnlyList<IngestionResult>> ScanOnceAsync(CancellationToken ct = default)
    {
        await _incoming.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        var prefix = _options.Target is { } t ? t + "/" : null;
        var fresh = new List<BlobItem>();
        await foreach (var item in _incoming.GetBlobsAsync(new GetBlobsOptions { Prefix = prefix }, ct).ConfigureAwait(false))
            if (!_seen.TryGetValue(item.Name, out var etag) || etag != item.Properties.ETag?.ToString())
                fresh.Add(item);

        var results = new List<IngestionResult>();
        foreach (var item in fresh.OrderBy(i => i.Properties.CreatedOn).ThenBy(i => i.Name, StringComparer.Ordinal))
        {
            var result = await IngestAsync(item.Name, ct).ConfigureAwait(false);
            _seen[item.Name] = item.Properties.ETag?.ToString() ?? "";
            results.Add(result);
        }
        return results;
    }

    /// <summary>Polls until cancelled, reporting each ingestion; storage faults propagate to the caller.</summary>
    public async Task RunAsync(Action<IngestionResult>? onIngested, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            foreach (var result in await ScanOnceAsync(ct).ConfigureAwait(false)) onIngested?.Invoke(result);
            try
            {
                await Task.Delay(_options.PollInterval, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task<IngestionResult> IngestAsync(string blobName, CancellationToken ct)
    {
        var slash = blobName.IndexOf('/');
        if (slash <= 0)
        {
            // A blob at the root of incoming/ has no target: say so and leave it where it is.
            _log.LogWarning("incoming/{Blob} is not under a target folder (incoming/{{target}}/{{file}}); left in place", blobName);
            return new IngestionResult(IngestOutcome.InvalidName, "", blobName, null, null, null, false,
                $"incoming/{blobName} is not under a target folder: upload to incoming/{{target}}/{{file}}");
        }
        var target = blobName[..slash];
        var file = blobName[(slash + 1)..];
        var result = await _ingestion.IngestAsync(target, file, ct).ConfigureAwait(false);
        _log.LogInformation("incoming/{Blob}: {Outcome} {Message}", blobName, result.Outcome, result.Message);
        return result;
    }
}
