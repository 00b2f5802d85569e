using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Pipeline.Shared.Contracts;
using Pipeline.Shared.Storage;
using Pipeline.Testing;
using Pipeline.Worker;

namespace Pipeline.Worker.Tests;

/// <summary>The `pipeline worker` executable stopped with SIGTERM, killed with SIGKILL, and started again.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class WorkerProcessTests(AzuriteFixture azurite)
{
    // Generous: a loaded 2-core machine trains tiny-llama at a few steps per second instead of about 100.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(240);

    [Fact]
    public async Task A_worker_stopped_by_sigterm_then_killed_by_sigkill_finishes_the_run_once_with_the_weights_of_an_uninterrupted_run()
    {
        // Long enough in steps that SIGTERM and SIGKILL land mid-run however fast training is (tiny-llama: ~100 steps/s).
        using var bed = new WorkerTestBed(azurite, maxSteps: 400, saveSteps: 20);
        var interrupted = await bed.ArrangeAsync("ds-one");
        var reference = await bed.ArrangeAsync("ds-two"); // the same pairs under another dataset id: the same training
        var runId = interrupted.RunId;
        var checkpoints = new CheckpointStore(bed.Container(StorageLayout.Runs), bed.Target, runId, StorageRetry.Create(), NullLogger.Instance);
        await bed.PublishAsync(interrupted);

        // 1. SIGTERM mid-run: checkpoint where it stopped, status back to queued, lease released, message returned, exit 0.
        var first = bed.StartWorkerProcess(bed.Settings("worker-1", idleStopSeconds: 60), Path.Combine(bed.Root, "worker-1.log"));
        var stepAtSignal = await WaitForAsync(async () => (await bed.StatusAsync(interrupted))?.Step is >= 10 and var s ? s : null, first, bed);
        Signal(first, "TERM");
        Assert.True(first.WaitForExit(60_000), "the worker did not exit within 60 s of SIGTERM");
        Assert.Equal(0, first.ExitCode);
        var afterTerm = (await bed.StatusAsync(interrupted))!;
        Assert.Equal(RunState.Queued, afterTerm.State);
        Assert.Contains("stopped by shutdown", afterTerm.Reason);
        var savedAtStop = (await checkpoints.CompleteStepsAsync(CancellationToken.None))[0];
        Assert.True(savedAtStop >= stepAtSignal!.Value, $"newest checkpoint {savedAtStop} is older than step {stepAtSignal} seen before SIGTERM");
        var probe = await RunLease.TryAcquireAsync(new RunStore(bed.Blobs).StatusBlob(bed.Target, runId),
            "probe", runId, TimeSpan.FromSeconds(15), NullLogger.Instance, CancellationToken.None);
        Assert.NotNull(probe); // released at shutdown, not left to expire
        await probe.ReleaseAsync(CancellationToken.None);
        await probe.DisposeAsync();

        // 2. Another worker resumes it; SIGKILL once it has checkpointed past the resume point.
        var second = bed.StartWorkerProcess(bed.Settings("worker-2", idleStopSeconds: 60), Path.Combine(bed.Root, "worker-2.log"));
        await WaitForAsync(async () => (await checkpoints.CompleteStepsAsync(CancellationToken.None))[0] >= savedAtStop + 10 ? (int?)1 : null, second, bed);
        second.Kill(entireProcessTree: true);
        second.WaitForExit(10_000);
        var afterKill = (await bed.StatusAsync(interrupted))!;
        Assert.Equal(RunState.Running, afterKill.State);
        Assert.Equal(savedAtStop, afterKill.ResumedFromStep);

        // 3. A fresh container with the same worker id (so its lease id) finishes the run from storage; then the reference.
        // Its idle stop outlasts the visibility timeout (17 s), after which the killed worker's message reappears.
        var third = bed.StartWorkerProcess(bed.Settings("worker-2", idleStopSeconds: 22, extra: new()
        {
            ["Worker:WorkDirectory"] = Path.Combine(bed.Root, "fresh-disk", "runs"),
        }), Path.Combine(bed.Root, "worker-3.log"));
        await WaitForAsync(async () => (await bed.StatusAsync(interrupted))?.State == RunState.Succeeded ? (int?)1 : null, third, bed);
        await bed.PublishAsync(reference);
        Assert.True(third.WaitForExit((int)Patience.TotalMilliseconds), "the last worker did not stop when idle");
        Assert.Equal(0, third.ExitCode);

        var done = (await bed.StatusAsync(interrupted))!;
        Assert.Equal(RunState.Succeeded, done.State);
        Assert.Equal("v0001", done.Version);
        Assert.True(done.ResumedFromStep > savedAtStop);
        Assert.Equal("v0002", (await bed.StatusAsync(reference))!.Version);
        Assert.Equal([1, 2], await bed.VersionsAsync());
        var resumed = await bed.BlobBytesAsync(StorageLayout.Models, StorageLayout.ModelVersionPrefix(bed.Target, 1) + "model.safetensors");
        var uninterrupted = await bed.BlobBytesAsync(StorageLayout.Models, StorageLayout.ModelVersionPrefix(bed.Target, 2) + "model.safetensors");
        Assert.Equal(uninterrupted, resumed);
    }

    [Fact]
    public async Task A_killed_workers_run_redelivered_at_once_while_its_lease_still_holds_is_deferred_then_taken_over_from_its_checkpoint()
    {
        // The shortest settings the options allow (lease 15 s, renewal 1 s, visibility 17 s; see WorkerTestBed.Settings).
        // 110 steps after the first checkpoint: a kill lands mid-run (tiny-llama: about 100 steps/s on an idle machine).
        using var bed = new WorkerTestBed(azurite, maxSteps: 120, saveSteps: 10);
        var request = await bed.ArrangeAsync();
        var checkpoints = new CheckpointStore(bed.Container(StorageLayout.Runs), bed.Target, request.RunId, StorageRetry.Create(), NullLogger.Instance);
        await bed.PublishAsync(request);

        // 1. A worker process trains and checkpoints; SIGKILL leaves its lease on the run and its message hidden.
        using (var first = bed.StartWorkerProcess(bed.Settings("worker-1", idleStopSeconds: 60), Path.Combine(bed.Root, "worker-1.log")))
        {
            try
            {
                await WaitForAsync(async () => (await checkpoints.CompleteStepsAsync(CancellationToken.None)) is [>= 10, ..] ? (int?)1 : null, first, bed);
            }
            finally
            {
                first.Kill(entireProcessTree: true);
                first.WaitForExit(10_000);
            }
        }
        var lastCheckpoint = (await checkpoints.CompleteStepsAsync(CancellationToken.None))[0];
        Assert.Equal(RunState.Running, (await bed.StatusAsync(request))!.State);

        // 2. The message is delivered again at once: the dead worker's copy is gone from the queue and the same request
        // is visible now, 15 s before the lease can expire. Nothing else is left on the queue to finish the run.
        await bed.Queue.ClearMessagesAsync();
        await bed.PublishAsync(request);
        var handled = await bed.RunWorkerAsync(bed.Settings("worker-2", idleStopSeconds: 8), TimeSpan.FromSeconds(240));

        var status = (await bed.StatusAsync(request))!;
        Assert.Equal(RunState.Succeeded, status.State);
        Assert.Equal("worker-2", status.WorkerId);
        Assert.True(status.ResumedFromStep >= lastCheckpoint, $"resumed from step {status.ResumedFromStep}, not from the last checkpoint {lastCheckpoint}");
        Assert.Equal([1], await bed.VersionsAsync());
        var deferrals = handled.TakeWhile(h => h.Settlement == RunSettlement.Defer).ToList();
        Assert.NotEmpty(deferrals); // held by the dead worker's lease: deferred, never completed as a duplicate
        Assert.All(deferrals, d => Assert.Contains("held by worker-1", d.Reason));
        Assert.Equal(RunSettlement.Complete, handled[deferrals.Count].Settlement);
        Assert.Contains("written", handled[deferrals.Count].Reason);
        Assert.Null((await bed.Queue.PeekMessageAsync()).Value);
        Assert.False(await bed.PoisonQueue.ExistsAsync() && (await bed.PoisonQueue.PeekMessageAsync()).Value is not null);
    }

    private static void Signal(Process process, string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString()]);
        kill.WaitForExit();
    }

    /// <summary>Polls until <paramref name="probe"/> gives a value; fails with the worker's log when it exits or time runs out.</summary>
    private static async Task<int?> WaitForAsync(Func<Task<int?>> probe, Process worker, WorkerTestBed bed)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Patience)
        {
            if (await probe() is { } value) return value;
            if (worker.HasExited) break;
            await Task.Delay(50);
        }
        var exited = worker.HasExited;
        if (!exited) worker.Kill(entireProcessTree: true); // a failed test leaves no worker behind
        var logs = string.Join("\n", Directory.GetFiles(bed.Root, "*.log").Select(f => f + ":\n" + ReadShared(f)));
        Assert.Fail($"condition not reached (worker exited: {exited}); logs:\n{logs}");
        return null;
    }

    private static string ReadShared(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(stream).ReadToEnd();
    }
}
