// Local stand-in for the blob-trigger function: polls incoming/ and hands each new blob to the SAME IngestionService
// the function calls (Azurite has no Event Grid). Ingestion is idempotent, so a file seen again after a restart is a no-op.
// A file whose ingestion fails (storage, queue, a broken target profile) is tried again after a back-off and parked after
// its last attempt; it never stops the scan, so every other file and target goes on.
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

    /// <summary>Attempts and back-off for a file whose ingestion fails, before it is parked.</summary>
    public IngestionRetryOptions Retry { get; init; } = new();

    public WatcherOptions Validated()
    {
        if (PollInterval <= TimeSpan.Zero) throw new ArgumentException($"watcher poll interval must be positive (got {PollInterval})");
        if (Target is not null && TargetName.Problem(Target) is { } problem) throw new ArgumentException($"watcher target: {problem}");
        Retry.Validated();
        return this;
    }
}

public sealed class IncomingWatcher
{
    private readonly BlobContainerClient _incoming;
    private readonly IngestionService _ingestion;
    private readonly WatcherOptions _options;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    // Blob name -> ETag already handed to ingestion; a blob is ingested again only if it is replaced.
    private readonly Dictionary<string, string> _seen = [];
    // Blob name -> failed attempts so far and when the next may start.
    private readonly Dictionary<string, (int Failures, DateTimeOffset NextAttempt)> _failing = [];

    public IncomingWatcher(BlobServiceClient blobs, IngestionService ingestion, WatcherOptions options, ILogger<IncomingWatcher>? logger = null,
        TimeProvider? time = null)
    {
        _options = options.Validated();
        _time = time ?? TimeProvider.System;
        _incoming = blobs.GetBlobContainerClient(StorageLayout.Incoming);
        _ingestion = ingestion;
        _log = logger ?? NullLogger<IncomingWatcher>.Instance;
    }

    /// <summary>Files whose ingestion failed and that wait for another attempt.</summary>
    public int FilesWaitingToRetry => _failing.Count;

    /// <summary>Ingests every blob in incoming/ not handed over yet, oldest first; returns what happened to each file
    /// that is done (ingested, quarantined, misnamed or parked). A file that failed waits for its back-off while the
    /// others go on. Only a failure to list incoming/ itself propagates.</summary>
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
            if (_failing.TryGetValue(item.Name, out var failing) && failing.NextAttempt > _time.GetUtcNow()) continue;
            if (await TryIngestAsync(item.Name, failing.Failures, ct).ConfigureAwait(false) is not { } result) continue;
            _seen[item.Name] = item.Properties.ETag?.ToString() ?? "";
            _failing.Remove(item.Name);
            results.Add(result);
        }
        return results;
    }

    /// <summary>One attempt at one file: its result, or null when it failed and waits for another attempt.</summary>
    private async Task<IngestionResult?> TryIngestAsync(string blobName, int failures, CancellationToken ct)
    {
        try
        {
            return await IngestAsync(blobName, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            failures++;
            var (target, file) = Split(blobName);
            if (failures >= _options.Retry.MaxAttempts)
            {
                try
                {
                    return await _ingestion.ParkAsync(target, file, e, failures, ct).ConfigureAwait(false);
                }
                catch (Exception parkFailure) when (parkFailure is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // Storage is down for the record too: try the whole file again later.
                    _log.LogError(parkFailure, "incoming/{Blob} could not be parked; trying again later", blobName);
                }
            }
            var delay = _options.Retry.DelayAfter(failures);
            _failing[blobName] = (failures, _time.GetUtcNow() + delay);
            _log.LogWarning(e, "incoming/{Blob}: attempt {Attempt} failed; trying again in {DelaySeconds} s", blobName, failures, delay.TotalSeconds);
            return null;
        }
    }

    private static (string Target, string File) Split(string blobName)
    {
        var slash = blobName.IndexOf('/');
        return slash <= 0 ? ("", blobName) : (blobName[..slash], blobName[(slash + 1)..]);
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
        var (target, file) = Split(blobName);
        if (target.Length == 0)
        {
            // A blob at the root of incoming/ has no target: say so and leave it where it is.
            _log.LogWarning("incoming/{Blob} is not under a target folder (incoming/{{target}}/{{file}}); left in place", blobName);
            return new IngestionResult(IngestOutcome.InvalidName, "", blobName, null, null, null, false,
                $"incoming/{blobName} is not under a target folder: upload to incoming/{{target}}/{{file}}");
        }
        var result = await _ingestion.IngestAsync(target, file, ct).ConfigureAwait(false);
        _log.LogInformation("incoming/{Blob}: {Outcome} {Message}", blobName, result.Outcome, result.Message);
        return result;
    }
}
