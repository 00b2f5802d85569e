// The `pipeline-worker` executable (the container's entry point) when it cannot start: it exits within seconds with a
// non-zero code and hands a waiting request back to the queue, so the request's delivery count rises and a broken image
// ends in the dead-letter queue instead of KEDA starting GPU executions for it forever.
using System.Diagnostics;
using Pipeline.Testing;

namespace Pipeline.Worker.Tests;

[Collection(AzuriteCollection.Name)]
public sealed class WorkerStartFailureTests(AzuriteFixture azurite)
{
    /// <summary>Start-up of the executable (LibTorch load) plus the failure handling; far below any replica timeout.</summary>
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(45);

    private static async Task<(int ExitCode, TimeSpan Elapsed, string Log)> RunToExitAsync(WorkerTestBed bed, Dictionary<string, string?> settings)
    {
        var logFile = Path.Combine(bed.Root, "worker.log");
        var clock = Stopwatch.StartNew();
        using var process = bed.StartWorkerProcess(settings, logFile);
        if (!process.WaitForExit((int)TimeSpan.FromSeconds(120).TotalMilliseconds))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the worker did not exit: " + File.ReadAllText(logFile));
        }
        process.WaitForExit(); // drains the redirected output into the log
        return (process.ExitCode, clock.Elapsed, File.ReadAllText(logFile));
    }

    private static async Task AssertReturnedOnceAsync(WorkerTestBed bed, string log)
    {
        var waiting = Assert.Single((await bed.Queue.PeekMessagesAsync(10)).Value);
        Assert.Equal(1, waiting.DequeueCount);
        Assert.Contains("returned request", log);
    }

    [Fact]
    public async Task A_worker_told_to_use_a_gpu_on_a_machine_without_one_exits_fast_with_code_3_and_returns_the_request()
    {
        Assert.False(TorchSharp.torch.cuda.is_available(), "precondition: this test needs a machine without CUDA");
        using var bed = new WorkerTestBed(azurite);
        await bed.PublishAsync(await bed.ArrangeAsync());

        var (exit, elapsed, log) = await RunToExitAsync(bed, bed.Settings("no-gpu", idleStopSeconds: 600, new() { ["Worker:Device"] = "cuda" }));

        Assert.True(exit == WorkerHost.ExitCannotStart, log);
        Assert.True(elapsed < Fast, $"took {elapsed}");
        Assert.Contains("worker: cannot start:", log);
        Assert.Contains("CUDA", log);
        await AssertReturnedOnceAsync(bed, log);
    }

    [Fact]
    public async Task A_worker_that_storage_refuses_before_its_first_request_exits_fast_with_code_3_and_returns_the_request()
    {
        // As with a missing role assignment: the queue answers, the blob service refuses (a wrong key gives 403 on Azurite).
        using var bed = new WorkerTestBed(azurite);
        await bed.PublishAsync(await bed.ArrangeAsync());
        var refused = azurite.ConnectionString.Replace("AccountKey=", "AccountKey=AAAA", StringComparison.Ordinal);

        var (exit, elapsed, log) = await RunToExitAsync(bed, bed.Settings("no-storage", idleStopSeconds: 600,
            new() { [WorkerServiceCollectionExtensions.StorageConnectionKey] = refused }));

        Assert.True(exit == WorkerHost.ExitCannotStart, log);
        Assert.True(elapsed < Fast, $"took {elapsed}");
        await AssertReturnedOnceAsync(bed, log);
    }

    [Fact]
    public async Task A_worker_with_invalid_settings_exits_fast_with_code_2_and_returns_the_request()
    {
        using var bed = new WorkerTestBed(azurite);
        await bed.PublishAsync(await bed.ArrangeAsync());

        var (exit, elapsed, log) = await RunToExitAsync(bed, bed.Settings("bad-settings", idleStopSeconds: 600,
            new() { ["Worker:LeaseDuration"] = "00:00:05" }));

        Assert.True(exit == WorkerHost.ExitInvalidConfiguration, log);
        Assert.True(elapsed < Fast, $"took {elapsed}");
        Assert.Contains("Worker:LeaseDuration", log);
        await AssertReturnedOnceAsync(bed, log);
    }
}
