// Takes one received request through its run: skip it when already done, defer it while its target is in a debounce
// window or another worker holds the run, else take the run's lease (from a dead owner too: the run resumes from its
// newest checkpoint), keep message, lease and status alive while the executor works, and decide what happens to the
// message. It is completed only once its run has reached a final state; otherwise it is deferred, abandoned for a
// retry, dead-lettered with a reason, or left to reappear.
using Azure.Storage.Blobs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Telemetry;
using Pipeline.Training.Data;
using Pipeline.Training.Trainer;
using Polly;

namespace Pipeline.Worker;

public sealed class RunCoordinator(
    BlobServiceClient blobs, RunExecutor executor, RunPlanner planner, IOptions<WorkerOptions> options, ResiliencePipeline retry,
    Heartbeat heartbeat, ILogger<RunCoordinator> log)
{
    private readonly WorkerOptions _options = options.Value;
    private readonly RunStore _status = new(blobs);

    public async Task<RunDisposition> HandleAsync(ReceivedRequest message, CancellationToken stopping)
    {
        var receivedAt = DateTimeOffset.UtcNow;
        var request = message.Request;
        string runId;
        try
        {
            runId = request.RunId;
            _ = StorageLayout.RunStatusBlob(request.Target, runId);
            foreach (var id in request.DatasetIds) _ = StorageLayout.DatasetPrefix(request.Target, id);
        }
        catch (ArgumentException e)
        {
            return RunDisposition.DeadLetter("", $"invalid training request {request.RequestId}: {e.Message}");
        }
        // Bursts and strategy: the run may cover more datasets than this message names, or nothing may be left to do.
        message.StartKeepAlive();
        var plan = await planner.PlanAsync(request, stopping);
        if (plan.NothingToDo) return RunDisposition.Complete(runId, $"its datasets are already trained in {plan.CoveredBy}");
        if (plan.NotBefore is { } notBefore)
            return RunDisposition.Defer(runId, notBefore - DateTimeOffset.UtcNow, $"{request.Target} is inside its debounce window until {notBefore:O}");
        request = plan.Request;
        runId = request.RunId;
        using var scope = log.BeginScope(new Dictionary<string, object> { ["RunId"] = runId, ["Target"] = request.Target });
        using var activity = request.StartConsumerActivity(); // joins the ingest trace carried in the message
        PipelineTelemetry.RecordQueueLag(request, receivedAt);

        var existing = await retry.ExecuteAsync(async t => await _status.ReadStatusAsync(request.Target, runId, t), stopping);
        if (existing?.IsFinished == true) return RunDisposition.Complete(runId, $"run already {existing.State} ({existing.Version})");
        var queued = new RunStatus
        {
            State = RunState.Queued, Target = request.Target, RunId = runId, RequestId = request.RequestId,
            DatasetIds = request.DatasetIds, CreatedAt = receivedAt, UpdatedAt = receivedAt,
        };
        await retry.ExecuteAsync(async t => await _status.TryCreateStatusAsync(queued, t), stopping);

        var lease = await retry.ExecuteAsync(async t => await RunLease.TryAcquireAsync(
            _status.StatusBlob(request.Target, runId), _options.WorkerId, runId, _options.LeaseDuration, log, t), stopping);
        if (lease is null) return await BusyAsync(request.Target, runId, stopping);
        await using (lease)
        {
            existing = await retry.ExecuteAsync(async t => await _status.ReadStatusAsync(request.Target, runId, t), stopping);
            if (existing?.IsFinished == true)
            {
                await lease.ReleaseAsync(CancellationToken.None);
                return RunDisposition.Complete(runId, $"run already {existing.State} ({existing.Version})");
            }
            message.StartKeepAlive();
            using var run = CancellationTokenSource.CreateLinkedTokenSource(stopping, lease.LostToken, message.LostToken);
            var initial = (existing ?? queued) with
            {
                State = RunState.Running, WorkerId = _options.WorkerId, Attempt = message.DeliveryCount, Stage = "starting", Reason = null,
            };
            await using var status = new RunStatusReporter(_status, lease, initial, _options.StatusInterval, _options.LeaseDuration / 3, retry, log, heartbeat);
            try
            {
                await status.SetAsync(s => s, run.Token);
                var result = await executor.ExecuteAsync(request, runId, receivedAt, status, run.Token, stopping);
                await status.SetAsync(s => s with
                {
                    State = result.Promoted ? RunState.Succeeded : RunState.Rejected, Stage = "done", Version = result.Version.Name,
                    Gate = result.Gate, Reason = result.Promoted ? null : result.Gate.Reason,
                }, CancellationToken.None);
                await lease.ReleaseAsync(CancellationToken.None);
                PipelineTelemetry.RecordRunDuration(request.Target, DateTimeOffset.UtcNow - receivedAt, result.Promoted ? "succeeded" : "rejected");
                PipelineTelemetry.RecordTokensPerSecond(request.Target, result.TrainTokensPerSecond);
                return RunDisposition.Complete(runId, $"{result.Version} written; latest moved: {result.Promoted}");
            }
            catch (Exception e) when (IsPermanent(e))
            {
                PipelineTelemetry.RecordFailure("train", request.Target, e.Message);
                await EndAttemptAsync(status, lease, RunState.Failed, e.Message);
                return RunDisposition.DeadLetter(runId, e.Message);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                await EndAttemptAsync(status, lease, RunState.Queued, "stopped by shutdown; the next attempt resumes from the newest checkpoint");
                return RunDisposition.Abandon(runId, "worker shutting down");
            }
            catch (OperationCanceledException) when (lease.LostToken.IsCancellationRequested)
            {
                log.LogWarning("Run {RunId} lost its lease to another worker; stopping without writing", runId);
                return RunDisposition.Leave(runId, "lost the run's lease to another worker");
            }
            catch (OperationCanceledException) when (run.IsCancellationRequested)
            {
                // The message is no longer ours (it will be delivered again), but the run still is: free it at once so
                // that delivery resumes it from the newest checkpoint instead of waiting for the lease to expire.
                log.LogWarning("Run {RunId} lost its queue message; stopping and releasing the run", runId);
                await EndAttemptAsync(status, lease, RunState.Queued, "the queue message was lost mid-run; its next delivery resumes from the newest checkpoint");
                return RunDisposition.Leave(runId, "lost the queue message; it will be delivered again");
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                log.LogError(e, "Attempt {Attempt} of run {RunId} failed", message.DeliveryCount, runId);
                PipelineTelemetry.RecordFailure("train", request.Target, e.GetType().Name);
                await EndAttemptAsync(status, lease, RunState.Queued, $"attempt {message.DeliveryCount} failed ({e.GetType().Name}: {e.Message}); it will be retried");
                return RunDisposition.Abandon(runId, e.Message);
            }
        }
    }

    /// <summary>Failures a retry cannot fix: bad input (profile, datasets, data rows, tokenizer, chat template) or a
    /// diverging run (deterministic on retry). The engine reports bad data as InvalidDataException naming file and line.</summary>
    private static bool IsPermanent(Exception e) =>
        e is RunInputException or NonFiniteLossException or InvalidDataException
            or Shared.Tokenization.TokenizerFormatException or Shared.Tokenization.ChatTemplateException;

    /// <summary>Another worker holds the lease. A finished run completes the message; otherwise the message comes back
    /// after a third of a lease (how often a live owner renews): by then either the run has finished, or its owner has
    /// died and the lease runs out, and the next delivery takes the run over from its newest checkpoint. Never
    /// completed here: a duplicate whose run then dies would leave the run with no message to finish it.</summary>
    private async Task<RunDisposition> BusyAsync(string target, string runId, CancellationToken ct)
    {
        var current = await retry.ExecuteAsync(async t => await _status.ReadStatusAsync(target, runId, t), ct);
        if (current?.IsFinished == true) return RunDisposition.Complete(runId, $"run already {current.State}");
        return RunDisposition.Defer(runId, DeferWhileHeld,
            $"the run is held by {current?.WorkerId ?? "another worker"} (status {current?.State.ToString() ?? "unknown"}); checking again in {DeferWhileHeld}");
    }

    /// <summary>How long a message waits while another worker holds its run: a third of the lease, in whole seconds.</summary>
    private TimeSpan DeferWhileHeld => TimeSpan.FromSeconds(Math.Ceiling(_options.LeaseDuration.TotalSeconds / 3));

    /// <summary>Records how the attempt ended and frees the run. Storage may be what failed, so neither step may throw
    /// over the disposition: the message settles (or reappears) regardless, and the lease expires by itself.</summary>
    private async Task EndAttemptAsync(RunStatusReporter status, RunLease lease, RunState state, string reason)
    {
        try
        {
            await status.SetAsync(s => s with { State = state, Reason = reason, Stage = null }, CancellationToken.None);
            await lease.ReleaseAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            log.LogWarning(e, "Could not record the end of the attempt ({State}: {Reason}); the lease will expire", state, reason);
        }
    }
}
