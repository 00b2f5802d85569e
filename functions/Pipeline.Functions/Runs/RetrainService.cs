// Turns a retrain call into at most one run per body (or Idempotency-Key) and window, and at most one run per target
// and cooldown: the key is claimed in storage first (a repeat replays the run it started), then the target's cooldown,
// then the request is published. All state lives in runs/{target}/_retrain/ (RetrainStore): any number of function
// instances agree through conditional writes.
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Functions.Http;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;

namespace Pipeline.Functions.Runs;

public enum RetrainOutcome
{
    /// <summary>A new run was requested.</summary>
    Accepted,

    /// <summary>The same body or key within the window: the run it started.</summary>
    Replayed,

    /// <summary>Not requested; <see cref="RetrainResult.Error"/> says why.</summary>
    Refused,
}

public sealed record RetrainResult(RetrainOutcome Outcome, TrainingRequest? Request, ApiError? Error, TimeSpan? RetryAfter = null);

public sealed class RetrainService(
    BlobServiceClient blobs, ITrainingRequestPublisher publisher, IOptions<RetrainOptions> options, ILogger<RetrainService> log)
{
    /// <summary>A claimed key whose request is still not published after this long was orphaned by a crash between
    /// claim and publish: a repeat publishes it (the same request id, so at most one run).</summary>
    public static readonly TimeSpan PublishGrace = TimeSpan.FromSeconds(30);

    /// <summary>Longest Idempotency-Key accepted (the IETF draft sets no limit; Stripe's is 255).</summary>
    public const int MaxKeyLength = 255;

    private readonly RetrainStore _store = new(blobs);
    private readonly DatasetStore _datasets = new(blobs);
    private readonly RetrainOptions _options = options.Value;

    /// <summary>Null when <paramref name="key"/> is usable as an Idempotency-Key, else the reason.</summary>
    public static string? KeyProblem(string key) =>
        key.Length is 0 or > MaxKeyLength || key.Any(c => c is < (char)0x21 or > (char)0x7e)
            ? $"Idempotency-Key must be 1-{MaxKeyLength} visible ASCII characters" : null;

    public async Task<RetrainResult> RequestAsync(string target, RetrainBody body, string? idempotencyKey, CancellationToken ct)
    {
        var keyHash = Hash(idempotencyKey is null ? "body\n" + body.Fingerprint : "key\n" + idempotencyKey);
        // Two rounds at most: a claim lost to another instance is followed by reading (and replaying) the winner's.
        for (var round = 0; round < 2; round++)
        {
            var existing = await _store.ReadKeyAsync(target, keyHash, ct);
            var now = DateTimeOffset.UtcNow;
            if (existing is { } e && now - e.Value.CreatedAt < _options.IdempotencyWindow)
                return await ReplayAsync(target, keyHash, body, e, now, ct);

            var (ids, problem) = await DatasetIdsAsync(target, body, ct);
            if (problem is not null) return Refused(problem);
            var cooldown = _options.Cooldown > TimeSpan.Zero ? await _store.ReadCooldownAsync(target, ct) : null;
            if (cooldown is { } c && c.Value.AcceptedAt + _options.Cooldown - now is { } wait && wait > TimeSpan.Zero)
                return CoolingDown(target, wait);

            var request = new TrainingRequest
            {
                RequestId = TrainingRequest.DeriveId(target, ids!, $"retrain\n{keyHash}\n{now:O}"), Target = target, DatasetIds = ids!,
                Reason = TrainingRequest.RetrainReason, CreatedAt = now,
            };
            var record = new RetrainKeyRecord { Fingerprint = body.Fingerprint, Request = request, CreatedAt = now };
            if (await _store.TryClaimKeyAsync(target, keyHash, record, existing?.ETag, ct) is not { } claimed) continue;
            var cooling = _options.Cooldown > TimeSpan.Zero
                ? await _store.TryStartCooldownAsync(target, new RetrainCooldown { RequestId = request.RequestId, AcceptedAt = now }, cooldown?.ETag, ct)
                : (ETag?)null;
            if (_options.Cooldown > TimeSpan.Zero && cooling is null)
            {
                // Another retrain of the target got in between: give the key back so this body can be sent again later.
                await _store.ReleaseKeyAsync(target, keyHash, claimed, ct);
                return CoolingDown(target, _options.Cooldown);
            }
            try
            {
                await publisher.PublishAsync(request, ct);
            }
            catch
            {
                // Nothing was queued: free the key and the cooldown so the caller's retry starts afresh.
                await _store.ReleaseKeyAsync(target, keyHash, claimed, CancellationToken.None);
                if (cooling is { } taken) await _store.ReleaseCooldownAsync(target, taken, CancellationToken.None);
                throw;
            }
            await _store.MarkPublishedAsync(target, keyHash, record with { PublishedAt = DateTimeOffset.UtcNow }, claimed, ct);
            log.LogInformation("Retrain of {Target} requested: {RequestId} over {Count} datasets", target, request.RequestId, ids!.Count);
            return new RetrainResult(RetrainOutcome.Accepted, request, null);
        }
        // Claimed by another instance twice in a row and expired in between: vanishingly rare; the caller may repeat.
        return Refused(new ApiError(StatusCodes.Status409Conflict, "conflict", "another retrain with this body is being requested at the same moment; repeat the call"));
    }

    private async Task<RetrainResult> ReplayAsync(string target, string keyHash, RetrainBody body, Versioned<RetrainKeyRecord> existing,
        DateTimeOffset now, CancellationToken ct)
    {
        var record = existing.Value;
        if (record.Fingerprint != body.Fingerprint)
            return Refused(new ApiError(StatusCodes.Status422UnprocessableEntity, "idempotency_key_reused",
                $"this Idempotency-Key was used for another body (run {record.Request.RunId}) within the last {_options.IdempotencyWindow}"));
        if (record.PublishedAt is null && now - record.CreatedAt > PublishGrace)
        {
            log.LogWarning("Retrain {RequestId} of {Target} was claimed but never published; publishing it now", record.Request.RequestId, target);
            await publisher.PublishAsync(record.Request, ct);
            await _store.MarkPublishedAsync(target, keyHash, record with { PublishedAt = DateTimeOffset.UtcNow }, existing.ETag, ct);
        }
        return new RetrainResult(RetrainOutcome.Replayed, record.Request, null);
    }

    /// <summary>The datasets to train: the named ones (each must exist) or every accepted dataset of the target.</summary>
    private async Task<(IReadOnlyList<string>? Ids, ApiError? Problem)> DatasetIdsAsync(string target, RetrainBody body, CancellationToken ct)
    {
        if (body.DatasetIds is null)
        {
            var all = (await _datasets.ListAcceptedAsync(target, ct)).Select(d => d.DatasetId).ToList();
            if (all.Count == 0) return (null, new ApiError(StatusCodes.Status400BadRequest, "no_datasets", $"target '{target}' has no datasets to train on"));
            if (all.Count > _options.MaxDatasetIds)
                return (null, new ApiError(StatusCodes.Status400BadRequest, "too_many_dataset_ids",
                    $"target '{target}' has {all.Count} datasets and one retrain takes at most {_options.MaxDatasetIds}: name the ones to train in '{RetrainBody.DatasetIdsKey}'"));
            return (all, null);
        }
        if (body.DatasetIds.Count > _options.MaxDatasetIds)
            return (null, new ApiError(StatusCodes.Status400BadRequest, "too_many_dataset_ids",
                $"'{RetrainBody.DatasetIdsKey}' names {body.DatasetIds.Count} datasets; at most {_options.MaxDatasetIds}"));
        foreach (var id in body.DatasetIds)
        {
            bool exists;
            try
            {
                exists = await _datasets.ExistsAsync(target, id, ct);
            }
            catch (ArgumentException e)
            {
                return (null, new ApiError(StatusCodes.Status400BadRequest, "invalid_dataset_id", e.Message));
            }
            if (!exists)
                return (null, new ApiError(StatusCodes.Status400BadRequest, "unknown_dataset", $"dataset '{id}' of target '{target}' does not exist"));
        }
        return (body.DatasetIds, null);
    }

    private RetrainResult CoolingDown(string target, TimeSpan wait)
    {
        var seconds = (int)Math.Ceiling(wait.TotalSeconds);
        return new RetrainResult(RetrainOutcome.Refused, null, new ApiError(StatusCodes.Status429TooManyRequests, "cooldown",
            $"target '{target}' was retrained less than {_options.Cooldown} ago; try again in {seconds} s"), TimeSpan.FromSeconds(seconds));
    }

    private static RetrainResult Refused(ApiError error) => new(RetrainOutcome.Refused, null, error);

    private static string Hash(string s) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..32];
}
