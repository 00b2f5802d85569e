// Typed results of the ingestion service: what happened to a file, and to an upload.
using Pipeline.Shared.Datasets;

namespace Pipeline.Shared.Ingestion;

public enum IngestOutcome
{
    /// <summary>A new dataset was written and its training request published.</summary>
    Accepted,
    /// <summary>The same rows were ingested before (under any name): nothing new written, no second request.</summary>
    AlreadyIngested,
    /// <summary>The file is not usable: copied with its report to quarantine/{target}/; the original stays.</summary>
    Quarantined,
    /// <summary>The target or file name is not allowed; nothing was read or written.</summary>
    InvalidName,
    /// <summary>Ingestion failed on every attempt for a reason that is not the data's (storage, queue, a broken target
    /// profile): a record with the reason is in quarantine/_parked/{target}/; the original stays in incoming/.</summary>
    Parked,
}

public sealed record IngestionResult(
    IngestOutcome Outcome,
    string Target,
    string FileName,
    ValidationReport? Report,
    string? DatasetId,
    string? RequestId,
    bool PublishedNow,
    string Message);

public enum UploadOutcome { Created, AlreadyExists, Conflict, InvalidName, TooLarge }

public sealed record UploadResult(UploadOutcome Outcome, string BlobName, string Message);
