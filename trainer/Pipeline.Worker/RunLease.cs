// The blob lease that makes a run single-owner: taken on runs/{target}/{runId}/status.json and renewed in the
// background. The lease id derives from worker id + run id, so a restarted worker with the same id takes its run back
// at once, while any other worker waits until the lease expires.
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace Pipeline.Worker;

public sealed class RunLease : IAsyncDisposable
{
    private readonly BlobLeaseClient _client;
    private readonly TimeSpan _duration;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private Task? _renewal;

    private RunLease(BlobLeaseClient client, TimeSpan duration, ILogger log)
    {
        _client = client;
        _duration = duration;
        _log = log;
    }

    public string LeaseId => _client.LeaseId;

    /// <summary>Cancelled when the lease is found taken by someone else: the run must stop writing.</summary>
    public CancellationToken LostToken => _lost.Token;

    public static string LeaseIdFor(string workerId, string runId) =>
        new Guid(SHA256.HashData(Encoding.UTF8.GetBytes($"{workerId}\n{runId}")).AsSpan(0, 16)).ToString();

    /// <summary>Takes the lease and starts renewing it; null when another worker holds it.</summary>
    public static async Task<RunLease?> TryAcquireAsync(
        BlobClient blob, string workerId, string runId, TimeSpan duration, ILogger log, CancellationToken ct)
    {
        var client = blob.GetBlobLeaseClient(LeaseIdFor(workerId, runId));
        try
        {
            await client.AcquireAsync(duration, cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return null;
        }
        var lease = new RunLease(client, duration, log);
        lease._renewal = lease.RenewLoopAsync(lease._stop.Token);
        return lease;
    }

    private async Task RenewLoopAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_duration / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await _client.RenewAsync(cancellationToken: stop);
                }
                catch (RequestFailedException e) when (e.Status == 409 || e.ErrorCode == BlobErrorCode.LeaseIdMismatchWithLeaseOperation)
                {
                    _log.LogError(e, "Lost the run lease {LeaseId}: another worker holds the run", LeaseId);
                    await _lost.CancelAsync();
                    return;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Storage unreachable: an expired lease can still be renewed while nobody else took it.
                    _log.LogWarning(e, "Renewing run lease {LeaseId} failed; retrying", LeaseId);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Released or disposed.
        }
    }

    private async Task StopRenewalAsync()
    {
        if (_renewal is null) return;
        await _stop.CancelAsync();
        await _renewal;
        _renewal = null;
    }

    /// <summary>Stops renewing and releases the lease so the next worker need not wait for it to expire.</summary>
    public async Task ReleaseAsync(CancellationToken ct)
    {
        await StopRenewalAsync();
        try
        {
            await _client.ReleaseAsync(cancellationToken: ct);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            _log.LogWarning("Run lease {LeaseId} was already taken by another worker at release", LeaseId);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopRenewalAsync();
        _stop.Dispose();
        _lost.Dispose();
    }
}
