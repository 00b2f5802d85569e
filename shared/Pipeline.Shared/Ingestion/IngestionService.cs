// The one ingestion code path every host calls (blob trigger, HTTP upload, `pipeline ingest`, tests):
// incoming/{target}/{name} -> validate -> datasets/{target}/{datasetId}/ + training request, or quarantine/{target}/.
// Every write is create-only (If-None-Match: *), so a repeated or concurrent ingest of the same data is a no-op.
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Datasets;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Targets;
using Pipeline.Shared.Telemetry;
using Pipeline.Shared.Tokenization;
using Polly;

namespace Pipeline.Shared.Ingestion;

public sealed class IngestionService(
    BlobServiceClient blobs,
    ITrainingRequestPublisher publisher,
    Func<string, ITextTokenizer>? tokenizerResolver = null,
    ResiliencePipeline? retry = null,
    ILogger<IngestionService>? logger = null)
{
    private readonly Func<string, ITextTokenizer> _resolveTokenizer = tokenizerResolver ?? TokenizerResolvers.Builtin;
    private readonly ResiliencePipeline _retry = retry ?? StorageRetry.Create();
    private readonly ILogger _log = logger ?? NullLogger<IngestionService>.Instance;
    private readonly Dictionary<string, ITextTokenizer> _tokenizers = [];
    private volatile bool _containersReady;

    private BlobContainerClient Container(string name) => blobs.GetBlobContainerClient(name);

    /// <summary>Ingests incoming/{target}/{fileName}. Bad data becomes a quarantined report; storage faults throw.</summary>
    public async Task<IngestionResult> IngestAsync(string target, string fileName, CancellationToken ct = default)
    {
        if ((TargetName.Problem(target) ?? TargetName.FileNameProblem(fileName)) is { } nameProblem)
            return new IngestionResult(IngestOutcome.InvalidName, target, fileName, null, null, null, false, nameProblem);
        // Roots the trace at the file; the request published below carries it to the trainer (traceparent).
        using var activity = TraceContextPropagation.StartIngestActivity(target, fileName);
        await EnsureContainersAsync(ct).ConfigureAwait(false);
        using var scope = _log.BeginScope(new Dictionary<string, object> { ["Target"] = target, ["File"] = fileName });

        var (profile, profileHash) = await LoadProfileAsync(target, ct).ConfigureAwait(false);
        var source = Container(StorageLayout.Incoming).GetBlobClient(StorageLayout.IncomingBlob(target, fileName));
        var size = (await _retry.ExecuteAsync(async t => await source.GetPropertiesAsync(cancellationToken: t).ConfigureAwait(false), ct).ConfigureAwait(false)).Value.ContentLength;

        var settings = new ValidationSettings
        {
            Profile = profile,
            Tokenizer = profile.Tokenizer is { } tok ? Tokenizer(tok) : null,
            TokenizerName = profile.Tokenizer,
            KnownPairs = await LoadPairIndexAsync(target, ct).ConfigureAwait(false),
        };

        await using var train = TempFile();
        await using var eval = TempFile();
        ValidationResult result;
        if (size > profile.MaxFileBytes)
        {
            result = TooLarge(fileName, size, profile);
        }
        else
        {
            var stream = await source.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct).ConfigureAwait(false);
            result = await DatasetValidator.ValidateAsync(stream, fileName, settings, new DatasetSinks(train, eval), ct).ConfigureAwait(false);
        }
        var report = result.Report;

        // A repeat of an ingested file is recognised by the hash of its unique rows, even when every row is now a duplicate.
        if (result.ContentId is { } contentId &&
            await Container(StorageLayout.Datasets).GetBlobClient(StorageLayout.ContentAliasBlob(target, contentId)).TryDownloadAsync(ct).ConfigureAwait(false) is { } alias)
        {
            var earlier = JsonSerializer.Deserialize<ContentAlias>(alias)!.DatasetId;
            await EnsurePairIndexAsync(target, earlier, ct).ConfigureAwait(false);
            var (requestId, published) = await EnsurePublishedAsync(target, earlier, profileHash, ct).ConfigureAwait(false);
            _log.LogInformation("{File} repeats dataset {DatasetId} of {Target}; request {RequestId} published now: {Published}", fileName, earlier, target, requestId, published);
            return new IngestionResult(IngestOutcome.AlreadyIngested, target, fileName, report, earlier, requestId, published,
                $"the same rows were ingested before as {earlier}");
        }

        if (!report.Usable)
        {
            await QuarantineAsync(target, fileName, source, report, ct).ConfigureAwait(false);
            PipelineTelemetry.RecordFailure("ingest", target, "quarantined");
            _log.LogWarning("{File} of {Target} quarantined: {Problems}", fileName, target, string.Join("; ", report.FileProblems.Select(p => p.Code)));
            return new IngestionResult(IngestOutcome.Quarantined, target, fileName, report, null, null, false,
                string.Join("; ", report.FileProblems.Select(p => $"{p.Code}: {p.Message}")));
        }

        var datasetId = report.DatasetId!;
        var datasets = Container(StorageLayout.Datasets);
        // Order matters for crash safety: data and report, then the alias (repeat detection), then the pair index
        // (which makes these rows duplicates for later files), then the request.
        train.Position = 0;
        eval.Position = 0;
        await datasets.GetBlobClient(StorageLayout.DatasetTrainBlob(target, datasetId)).TryCreateAsync(train, "application/jsonl", ct).ConfigureAwait(false);
        await datasets.GetBlobClient(StorageLayout.DatasetEvalBlob(target, datasetId)).TryCreateAsync(eval, "application/jsonl", ct).ConfigureAwait(false);
        await datasets.GetBlobClient(StorageLayout.DatasetReportBlob(target, datasetId)).TryCreateAsync(BinaryData.FromString(report.ToJson()), "application/json", ct).ConfigureAwait(false);
        await datasets.GetBlobClient(StorageLayout.DatasetReportMarkdownBlob(target, datasetId)).TryCreateAsync(BinaryData.FromString(ValidationReportMarkdown.Render(report)), "text/markdown", ct).ConfigureAwait(false);
        await datasets.GetBlobClient(StorageLayout.ContentAliasBlob(target, result.ContentId!))
            .TryCreateAsync(BinaryData.FromObjectAsJson(new ContentAlias(datasetId)), "application/json", ct).ConfigureAwait(false);
        await datasets.GetBlobClient(StorageLayout.PairIndexBlob(target, datasetId))
            .TryCreateAsync(BinaryData.FromBytes(PairIndex.Encode(result.PairHashes)), "application/octet-stream", ct).ConfigureAwait(false);
        var (reqId, now) = await EnsurePublishedAsync(target, datasetId, profileHash, ct).ConfigureAwait(false);
        _log.LogInformation("{File} of {Target} became dataset {DatasetId} ({Rows} rows); request {RequestId}", fileName, target, datasetId, report.RowsAccepted, reqId);
        return new IngestionResult(IngestOutcome.Accepted, target, fileName, report, datasetId, reqId, now,
            $"dataset {datasetId}: {report.TrainRows} train and {report.EvalRows} eval rows");
    }

    /// <summary>Ingests the file like <see cref="IngestAsync"/>, so that nothing about it can stop other files: bad data is
    /// quarantined; any other failure (storage, queue, a broken target profile, a bug) is retried after
    /// <see cref="IngestionRetryOptions.DelayAfter"/>, and after the last attempt the file is parked with the reason.
    /// Only cancellation, or a failure to write the parked record itself, throws.</summary>
    public async Task<IngestionResult> IngestOrParkAsync(string target, string fileName, IngestionRetryOptions retry, CancellationToken ct = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await IngestAsync(target, fileName, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (attempt >= retry.MaxAttempts) return await ParkAsync(target, fileName, e, attempt, ct).ConfigureAwait(false);
                var delay = retry.DelayAfter(attempt);
                _log.LogWarning(e, "Attempt {Attempt} of {Target}/{File} failed; trying again in {DelaySeconds} s", attempt, target, fileName, delay.TotalSeconds);
                await Task.Delay(delay, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Records that ingesting incoming/{target}/{fileName} failed <paramref name="attempts"/> times with
    /// <paramref name="failure"/> (quarantine/_parked/{target}/{file}.json, replacing an earlier record); the original
    /// stays in incoming/ and is ingested again by the next trigger or `pipeline ingest`.</summary>
    public async Task<IngestionResult> ParkAsync(string target, string fileName, Exception failure, int attempts, CancellationToken ct = default)
    {
        var reason = failure is FormatException ? $"invalid target profile: {failure.Message}" : $"{failure.GetType().Name}: {failure.Message}";
        if ((TargetName.Problem(target) ?? TargetName.FileNameProblem(fileName)) is null)
        {
            await EnsureContainersAsync(ct).ConfigureAwait(false);
            var record = new ParkedFile(target, fileName, reason, attempts, DateTimeOffset.UtcNow);
            await _retry.ExecuteAsync(async t => await Container(StorageLayout.Quarantine).GetBlobClient(StorageLayout.ParkedBlob(target, fileName))
                .UploadAsync(BinaryData.FromObjectAsJson(record, ContractJson.Options), overwrite: true, t).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        PipelineTelemetry.RecordFailure("ingest", target, failure);
        _log.LogError(failure, "{File} of {Target} parked after {Attempts} attempts: {Reason}", fileName, target, attempts, reason);
        return new IngestionResult(IngestOutcome.Parked, target, fileName, null, null, null, false,
            $"parked after {attempts} attempts ({StorageLayout.Quarantine}/{StorageLayout.ParkedPrefix}{target}/): {reason}");
    }

    /// <summary>Stores <paramref name="content"/> as incoming/{target}/{name}, create-only: an existing blob is never replaced.</summary>
    /// <remarks>At most <paramref name="maxBytes"/>, by default the target profile's max_file_bytes (a broken or missing
    /// profile: the default's); a non-seekable body is spooled to a temporary file, and stopped at the limit.</remarks>
    public async Task<UploadResult> UploadAsync(string target, string name, Stream content, CancellationToken ct = default, long? maxBytes = null)
    {
        if ((TargetName.Problem(target) ?? TargetName.FileNameProblem(name)) is { } problem)
            return new UploadResult(UploadOutcome.InvalidName, "", problem);
        await EnsureContainersAsync(ct).ConfigureAwait(false);
        var blobName = StorageLayout.IncomingBlob(target, name);
        var blob = Container(StorageLayout.Incoming).GetBlobClient(blobName);
        await using var seekable = content.CanSeek ? null : TempFile();
        var limit = maxBytes ?? await UploadLimitAsync(target, ct).ConfigureAwait(false);
        if (seekable is not null)
        {
            try
            {
                await new LimitedReadStream(content, limit).CopyToAsync(seekable, ct).ConfigureAwait(false);
            }
            catch (DataLimitExceededException)
            {
                return new UploadResult(UploadOutcome.TooLarge, blobName, $"the upload is over the size limit of {limit} bytes");
            }
            seekable.Position = 0;
        }
        else if (content.Length - content.Position > limit)
        {
            return new UploadResult(UploadOutcome.TooLarge, blobName, $"the upload is over the size limit of {limit} bytes");
        }
        var body = seekable ?? content;
        var start = body.Position;
        var md5 = await MD5.HashDataAsync(body, ct).ConfigureAwait(false);
        body.Position = start;
        try
        {
            await blob.UploadAsync(body, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentHash = md5 },
            }, ct).ConfigureAwait(false);
            return new UploadResult(UploadOutcome.Created, blobName, $"stored as {StorageLayout.Incoming}/{blobName}");
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = (await blob.GetPropertiesAsync(cancellationToken: ct).ConfigureAwait(false)).Value.ContentHash;
            return existing is not null && existing.AsSpan().SequenceEqual(md5)
                ? new UploadResult(UploadOutcome.AlreadyExists, blobName, $"{StorageLayout.Incoming}/{blobName} already holds this content")
                : new UploadResult(UploadOutcome.Conflict, blobName, $"{StorageLayout.Incoming}/{blobName} already exists with different content; upload under another name");
        }
    }

    private async Task<long> UploadLimitAsync(string target, CancellationToken ct)
    {
        try
        {
            return (await LoadProfileAsync(target, ct).ConfigureAwait(false)).Profile.MaxFileBytes;
        }
        catch (FormatException e)
        {
            // The file is stored anyway (ingestion parks it with this reason until the profile is fixed).
            _log.LogWarning("Upload to {Target} checked against the default size limit: {Problem}", target, e.Message);
            return TargetProfile.Default.MaxFileBytes;
        }
    }

    /// <summary>The target's profile (config/{target}/profile.json), or the default profile when it has none.</summary>
    public async Task<TargetProfile> TargetProfileAsync(string target, CancellationToken ct = default) =>
        (await LoadProfileAsync(target, ct).ConfigureAwait(false)).Profile;

    /// <summary>report.json of a dataset, or null when there is no such dataset.</summary>
    public async Task<ValidationReport?> GetReportAsync(string target, string datasetId, CancellationToken ct = default)
    {
        if (TargetName.Problem(target) is not null || !datasetId.StartsWith("ds-") || datasetId.Any(c => !char.IsAsciiLetterOrDigit(c) && c != '-'))
            return null;
        var data = await new DatasetStore(blobs).ReadReportAsync(target, datasetId, ct).ConfigureAwait(false);
        return data is null ? null : ValidationReport.FromJson(data.ToString());
    }

    private async Task EnsureContainersAsync(CancellationToken ct)
    {
        if (_containersReady) return;
        foreach (var name in StorageLayout.Containers)
            await _retry.ExecuteAsync(async t => await Container(name).CreateIfNotExistsAsync(cancellationToken: t).ConfigureAwait(false), ct).ConfigureAwait(false);
        _containersReady = true;
    }

    /// <summary>The target's profile (defaults without one) and its hash; an invalid profile throws FormatException.</summary>
    private async Task<(TargetProfile Profile, string Hash)> LoadProfileAsync(string target, CancellationToken ct)
    {
        var profile = await new TargetProfileStore(blobs).ReadAsync(target, ct).ConfigureAwait(false);
        return (profile ?? TargetProfile.Default, TargetProfileStore.Hash(profile));
    }

    private ITextTokenizer Tokenizer(string name)
    {
        lock (_tokenizers)
        {
            if (!_tokenizers.TryGetValue(name, out var t)) _tokenizers[name] = t = _resolveTokenizer(name);
            return t;
        }
    }

    private async Task<IReadOnlySet<UInt128>> LoadPairIndexAsync(string target, CancellationToken ct)
    {
        var set = new HashSet<UInt128>();
        var datasets = Container(StorageLayout.Datasets);
        await foreach (var item in datasets.GetBlobsAsync(new GetBlobsOptions { Prefix = StorageLayout.PairIndexPrefix(target) }, ct).ConfigureAwait(false))
        {
            if (!StorageLayout.IsPairIndexBlob(item.Name)) continue;
            var data = await datasets.GetBlobClient(item.Name).DownloadContentAsync(ct).ConfigureAwait(false);
            PairIndex.Decode(data.Value.Content.ToMemory().Span, set);
        }
        return set;
    }

    /// <summary>Rebuilds a dataset's pair index from its rows when a crash left it unwritten.</summary>
    private async Task EnsurePairIndexAsync(string target, string datasetId, CancellationToken ct)
    {
        var datasets = Container(StorageLayout.Datasets);
        var index = datasets.GetBlobClient(StorageLayout.PairIndexBlob(target, datasetId));
        if (await index.ExistsAsync(ct).ConfigureAwait(false)) return;
        var hashes = new List<UInt128>();
        foreach (var split in new[] { StorageLayout.DatasetTrainBlob(target, datasetId), StorageLayout.DatasetEvalBlob(target, datasetId) })
        {
            await using var stream = await datasets.GetBlobClient(split).OpenReadAsync(cancellationToken: ct).ConfigureAwait(false);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            while (await reader.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
                if (line.Length > 0) hashes.Add(PairIndex.Hash(Encoding.UTF8.GetBytes(line)));
        }
        await index.TryCreateAsync(BinaryData.FromBytes(PairIndex.Encode(hashes)), "application/octet-stream", ct).ConfigureAwait(false);
    }

    /// <summary>Publishes the dataset's request unless its marker says it was. A crash between publish and marker
    /// publishes again with the same request id (at-least-once; the worker dedupes by request id).</summary>
    private async Task<(string RequestId, bool PublishedNow)> EnsurePublishedAsync(string target, string datasetId, string profileHash, CancellationToken ct)
    {
        var marker = Container(StorageLayout.Datasets).GetBlobClient(StorageLayout.DatasetRequestMarkerBlob(target, datasetId));
        if (await marker.TryDownloadAsync(ct).ConfigureAwait(false) is { } existing)
            return (TrainingRequest.Parse(existing.ToString()).RequestId, false);
        var request = new TrainingRequest
        {
            RequestId = TrainingRequest.DeriveId(target, [datasetId], profileHash),
            Target = target,
            DatasetIds = [datasetId],
            ProfileHash = profileHash,
            TraceParent = System.Diagnostics.Activity.Current?.Id,
        };
        await publisher.PublishAsync(request, ct).ConfigureAwait(false);
        var first = await marker.TryCreateAsync(BinaryData.FromString(request.ToJson()), "application/json", ct).ConfigureAwait(false);
        return (request.RequestId, first);
    }

    /// <summary>Copies the file and writes its report, create-only: a repeat keeps what is there, and as reports live
    /// under quarantine/_reports/ (see StorageLayout), no uploaded file can take a report's place.</summary>
    private async Task QuarantineAsync(string target, string fileName, BlobClient source, ValidationReport report, CancellationToken ct)
    {
        var quarantine = Container(StorageLayout.Quarantine);
        var copy = quarantine.GetBlobClient(StorageLayout.QuarantineBlob(target, fileName));
        if (!await copy.ExistsAsync(ct).ConfigureAwait(false))
        {
            await using var original = await source.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), ct).ConfigureAwait(false);
            await copy.TryCreateAsync(original, "application/octet-stream", ct).ConfigureAwait(false);
        }
        if (!await quarantine.GetBlobClient(StorageLayout.QuarantineReportBlob(target, fileName))
                .TryCreateAsync(BinaryData.FromString(report.ToJson()), "application/json", ct).ConfigureAwait(false))
            _log.LogInformation("{File} of {Target} was quarantined before; its first report stays", fileName, target);
        await quarantine.GetBlobClient(StorageLayout.QuarantineReportMarkdownBlob(target, fileName))
            .TryCreateAsync(BinaryData.FromString(ValidationReportMarkdown.Render(report)), "text/markdown", ct).ConfigureAwait(false);
    }

    private static ValidationResult TooLarge(string fileName, long size, TargetProfile profile) => new(new ValidationReport
    {
        File = fileName,
        Usable = false,
        BytesRead = 0,
        FileProblems = [new FileProblem(ReasonCodes.FileTooLarge, $"the file is {size} bytes, over the size limit of {profile.MaxFileBytes} bytes")],
    }, [], null);

    private static FileStream TempFile() =>
        new(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);

    /// <summary>quarantine/_parked/{target}/{file}.json</summary>
    private sealed record ParkedFile(string Target, string File, string Reason, int Attempts, DateTimeOffset ParkedAt);

    private sealed record ContentAlias([property: System.Text.Json.Serialization.JsonPropertyName("dataset_id")] string DatasetId);
}
