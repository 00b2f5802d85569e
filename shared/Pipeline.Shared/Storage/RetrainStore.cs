// The retrain endpoint's state, kept in storage so every function instance sees it (runs/{target}/_retrain/): one
// record per retrain body or Idempotency-Key, and the target's cooldown. Every write is conditional (If-None-Match: *
// or If-Match: etag), so of two instances racing for a key or the cooldown exactly one wins.
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pipeline.Shared.Contracts;

namespace Pipeline.Shared.Storage;

/// <summary>A retrain body (or Idempotency-Key) and the request it became; repeats within the window replay it.</summary>
public sealed record RetrainKeyRecord
{
    /// <summary>Hash of the canonical body: a key sent again with another body is refused, not replayed.</summary>
    public required string Fingerprint { get; init; }
    public required TrainingRequest Request { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Set once the request is on the queue; a record without it after a grace period is published again.</summary>
    public DateTimeOffset? PublishedAt { get; init; }
}

/// <summary>The target's last accepted retrain.</summary>
public sealed record RetrainCooldown
{
    public required string RequestId { get; init; }
    public required DateTimeOffset AcceptedAt { get; init; }
}

/// <summary>A record with the ETag it was read at.</summary>
public sealed record Versioned<T>(T Value, ETag ETag);

public sealed class RetrainStore(BlobServiceClient blobs)
{
    private BlobContainerClient Runs => blobs.GetBlobContainerClient(StorageLayout.Runs);

    private BlobClient KeyBlob(string target, string keyHash) => Runs.GetBlobClient(StorageLayout.RetrainKeyBlob(target, keyHash));
    private BlobClient CooldownBlob(string target) => Runs.GetBlobClient(StorageLayout.RetrainCooldownBlob(target));

    public Task<Versioned<RetrainKeyRecord>?> ReadKeyAsync(string target, string keyHash, CancellationToken ct) =>
        ReadAsync<RetrainKeyRecord>(KeyBlob(target, keyHash), ct);

    /// <summary>Claims the key: creates the record, or replaces an expired one read at <paramref name="expired"/>.
    /// Null when another instance claimed it first; else the ETag of the written record.</summary>
    public async Task<ETag?> TryClaimKeyAsync(string target, string keyHash, RetrainKeyRecord record, ETag? expired, CancellationToken ct)
    {
        await Runs.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        return await WriteAsync(KeyBlob(target, keyHash), record, expired, ct).ConfigureAwait(false);
    }

    /// <summary>Records that the key's request is on the queue (best effort: a lost race means someone else did).</summary>
    public Task<ETag?> MarkPublishedAsync(string target, string keyHash, RetrainKeyRecord record, ETag etag, CancellationToken ct) =>
        WriteAsync(KeyBlob(target, keyHash), record, etag, ct);

    /// <summary>Gives a claimed key back (its retrain was refused), unless someone changed it since.</summary>
    public Task<bool> ReleaseKeyAsync(string target, string keyHash, ETag etag, CancellationToken ct) =>
        KeyBlob(target, keyHash).TryDeleteIfUnchangedAsync(etag, ct);

    public Task<Versioned<RetrainCooldown>?> ReadCooldownAsync(string target, CancellationToken ct) =>
        ReadAsync<RetrainCooldown>(CooldownBlob(target), ct);

    /// <summary>Starts the target's cooldown: creates the record, or replaces the one read at <paramref name="previous"/>.
    /// Null when another retrain of the target took it in between; else the ETag of the written record.</summary>
    public async Task<ETag?> TryStartCooldownAsync(string target, RetrainCooldown cooldown, ETag? previous, CancellationToken ct)
    {
        await Runs.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        return await WriteAsync(CooldownBlob(target), cooldown, previous, ct).ConfigureAwait(false);
    }

    /// <summary>Ends a cooldown this call started (its retrain was never queued), unless another one replaced it.</summary>
    public Task<bool> ReleaseCooldownAsync(string target, ETag etag, CancellationToken ct) =>
        CooldownBlob(target).TryDeleteIfUnchangedAsync(etag, ct);

    private static async Task<Versioned<T>?> ReadAsync<T>(BlobClient blob, CancellationToken ct)
    {
        var data = await blob.TryDownloadWithETagAsync(ct).ConfigureAwait(false);
        return data is { } d ? new Versioned<T>(ContractJson.Deserialize<T>(d.Content, $"{StorageLayout.Runs}/{blob.Name}"), d.ETag) : null;
    }

    /// <summary>Create-only without <paramref name="etag"/>, replace-if-unchanged with it; the new ETag, or null when lost.</summary>
    private static async Task<ETag?> WriteAsync<T>(BlobClient blob, T value, ETag? etag, CancellationToken ct)
    {
        using var content = ContractJson.Serialize(value).ToStream();
        try
        {
            var response = await blob.UploadAsync(content, new BlobUploadOptions
            {
                Conditions = etag is { } e ? new BlobRequestConditions { IfMatch = e } : new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = "application/json" },
            }, ct).ConfigureAwait(false);
            return response.Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            return null;
        }
    }
}
