// Builds and runs the worker host: the trainer container's process (Program.cs) and `pipeline worker`. Settings come from
// configuration (env Worker__*, Queue__*, PIPELINE_STORAGE, command-line `--Section:Key value`), then the overrides.
// A worker that cannot start exits within seconds with a non-zero code (see WorkerStartFailure), never idles on a GPU.
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pipeline.Shared.Queues;
using Pipeline.Shared.Storage;
using Pipeline.Shared.Telemetry;
using Pipeline.Training;

namespace Pipeline.Worker;

public static class WorkerHost
{
    /// <summary>Exit code after a clean stop (SIGTERM, idle, Worker:MaxRuns reached).</summary>
    public const int ExitStopped = 0;

    /// <summary>Exit code when a run-time fault stopped the worker after it had started work.</summary>
    public const int ExitFailed = 1;

    /// <summary>Exit code when the configuration is invalid.</summary>
    public const int ExitInvalidConfiguration = 2;

    /// <summary>Exit code when the worker could not start (no GPU, storage refused, composition failed).</summary>
    public const int ExitCannotStart = 3;

    /// <summary>The pipeline.failures stage of a worker that could not start (the trainer-failures alert counts it).</summary>
    public const string StartFailureStage = "start";

    /// <summary>Runs until stopped (SIGTERM, Ctrl+C, <paramref name="ct"/>) or idle; returns one of the Exit* codes.</summary>
    public static async Task<int> RunAsync(string[] args, IDictionary<string, string?> overrides, CancellationToken ct)
    {
        TorchRuntime.Configure();
        var builder = Host.CreateApplicationBuilder(args);
        builder.Configuration.AddInMemoryCollection(overrides);
        // The Storage Queue lives in the same account unless told otherwise.
        if (string.IsNullOrEmpty(builder.Configuration["Queue:ConnectionString"]) &&
            builder.Configuration["Queue:Transport"] is null or nameof(QueueTransport.StorageQueue))
            builder.Configuration["Queue:ConnectionString"] = builder.Configuration[WorkerServiceCollectionExtensions.StorageConnectionKey]
                is { Length: > 0 } s ? s : StorageOptions.FromEnvironment().ConnectionString;
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Services.AddTrainerWorker(builder.Configuration);
        builder.Services.AddPipelineTelemetry(builder.Configuration, "pipeline-trainer");
        IHost? host = null;
        try
        {
            host = builder.Build(); // reads the worker options (shutdown timeout): may fail validation already
            await host.StartAsync(ct);
        }
        catch (OptionsValidationException e)
        {
            await WorkerStartFailure.ReportAsync($"invalid configuration: {string.Join("; ", e.Failures)}", builder.Configuration, host?.Services);
            host?.Dispose();
            return ExitInvalidConfiguration;
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            await WorkerStartFailure.ReportAsync(Describe(e), builder.Configuration, host?.Services);
            host?.Dispose();
            return ExitCannotStart;
        }
        using var running = host;
        await host.WaitForShutdownAsync(ct);

        // The loop faulted (the host logged it and stopped): before any request was handled, that is a start failure.
        var worker = host.Services.GetRequiredService<TrainerWorker>();
        if (worker.ExecuteTask is { IsFaulted: true } loop)
        {
            if (worker.Handled.Count > 0) return ExitFailed;
            await WorkerStartFailure.ReportAsync(Describe(loop.Exception!.GetBaseException()), builder.Configuration, host.Services);
            return ExitCannotStart;
        }
        return ExitStopped;
    }

    private static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}
