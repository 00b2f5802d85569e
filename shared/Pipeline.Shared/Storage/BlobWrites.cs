// Conditional blob writes: create-only (If-None-Match: *) and replace-only-if-unchanged (If-Match: etag).
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Pipeline.Shared.Storage;

public static class BlobWrites
{
    /// <summary>Creates the blob; false (and nothing written) when it already exists. Repeats and races have one winner.</summary>
    public static async Task<bool> TryCreateAsync(this BlobClient blob, Stream content, string contentType, CancellationToken ct)
    {
        try
        {
            await blob.UploadAsync(content, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409 || e.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        {
            return false;
        }
    }

    public static async Task<bool> TryCreateAsync(this BlobClient blob, BinaryData content, string contentType, CancellationToken ct)
    {
        using var stream = content.ToStream();
        return await blob.TryCreateAsync(stream, contentType, ct).ConfigureAwait(false);
    }

    /// <summary>Replaces the blob only if its etag is still <paramref name="etag"/>; false when someone else changed it.</summary>
    public static async Task<bool> TryReplaceAsync(this BlobClient blob, BinaryData content, ETag etag, string contentType, CancellationToken ct)
    {
        try
        {
            using var stream = content.ToStream();
            await blob.UploadAsync(stream, new BlobUploadOptions
            {
                Conditions = new BlobRequestConditions { IfMatch = etag },
                HttpHeaders = new BlobHttpHeaders { ContentType = contentType },
            }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return false;
        }
    }

    /// <summary>The blob's content with the ETag it was read at (for a later <see cref="TryReplaceAsync"/>), or null
    /// when it does not exist.</summary>
    public static async Task<(BinaryData Content, ETag ETag)?> TryDownloadWithETagAsync(this BlobClient blob, CancellationToken ct)
    {
        try
        {
            var result = await blob.DownloadContentAsync(ct).ConfigureAwait(false);
            return (result.Value.Content, result.Value.Details.ETag);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>Deletes the blob only if its etag is still <paramref name="etag"/>; false when it changed or is gone.</summary>
    public static async Task<bool> TryDeleteIfUnchangedAsync(this BlobClient blob, ETag etag, CancellationToken ct)
    {
        try
        {
            await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = etag }, ct).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            return false;
        }
    }

    /// <summary>The blob's content, or null when it does not exist.</summary>
    public static async Task<BinaryData?> TryDownloadAsync(this BlobClient blob, CancellationToken ct)
    {
        try
        {
            var result = await blob.DownloadContentAsync(ct).ConfigureAwait(false);
            return result.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }
}
