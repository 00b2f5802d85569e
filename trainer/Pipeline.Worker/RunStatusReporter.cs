// Keeps status.json current without touching the training step: progress only swaps an in-memory snapshot; a
// background loop writes it at most every StatusInterval, and at least every heartbeat interval (UpdatedAt tells other
// workers the run is alive). State changes are written at once.
using Microsoft.Extensions.Logging;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Polly;

namespace Pipeline.Worker;

public sealed class RunStatusReporter : IAsyncDisposable
{
    private readonly RunStore _store;
    private readonly RunLease _lease;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _log;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private RunStatus _current;
    private long _version;
    private long _written;

    private long _lastWriteTicks = Environment.TickCount64;
    private readonly Heartbeat? _alive;

    public RunStatusReporter(RunStore store, RunLease lease, RunStatus initial, TimeSpan interval,
        TimeSpan heartbeat, ResiliencePipeline retry, ILogger log, Heartbeat? alive = null)
    {
        _alive = alive;
        (_store, _lease, _current, _retry, _log) = (store, lease, initial, retry, log);
        _loop = LoopAsync(interval, heartbeat, _stop.Token);
    }

    public RunStatus Current => Volatile.Read(ref _current);

    /// <summary>Updates the snapshot in memory (O(1), no I/O): safe to call from the training loop.</summary>
    public void Report(Func<RunStatus, RunStatus> update)
    {
        lock (_stop)
        {
            _current = update(_current) with { UpdatedAt = DateTimeOffset.UtcNow };
            _version++;
        }
    }

    /// <summary>Updates the snapshot and writes it now (state transitions), retrying transient faults.</summary>
    public async Task SetAsync(Func<RunStatus, RunStatus> update, CancellationToken ct)
    {
        Report(update);
        await FlushAsync(ct);
    }

    private async Task FlushAsync(CancellationToken ct)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            RunStatus snapshot;
            long version;
            lock (_stop) (snapshot, version) = (_current, _version);
            await _retry.ExecuteAsync(async t => await _store.WriteStatusAsync(snapshot, _lease.LeaseId, t), ct);
            Interlocked.Exchange(ref _written, version);
            Interlocked.Exchange(ref _lastWriteTicks, Environment.TickCount64);
            _alive?.Touch();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task LoopAsync(TimeSpan interval, TimeSpan heartbeat, CancellationToken stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                if (Environment.TickCount64 - Interlocked.Read(ref _lastWriteTicks) >= heartbeat.TotalMilliseconds)
                    Report(s => s);
                if (Interlocked.Read(ref _written) == Interlocked.Read(ref _version)) continue;
                try
                {
                    await FlushAsync(stop);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Progress is advisory: a failed write is retried at the next tick with a newer snapshot.
                    _log.LogWarning(e, "Writing run status failed; retrying in {Interval}", interval);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
        _writeGate.Dispose();
    }
}
