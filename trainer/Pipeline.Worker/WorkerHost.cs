// Builds and runs the worker host: the trainer container's process (Program.cs) and `pipeline worker`. Settings come from
// configuration (env Worker__*, Queue__*, PIPELINE_STORAGE, command-line `--Section:Key value`), then the overrides.
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
    /// <summary>Runs until stopped (SIGTERM, Ctrl+C, <paramref name="ct"/>) or idle; 0 after a clean stop, 2 when the
    /// configuration is invalid.</summary>
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
        using var host = builder.Build();
        try
        {
            await host.RunAsync(ct);
        }
        catch (OptionsValidationException e)
        {
            await Console.Error.WriteLineAsync($"worker: invalid configuration: {string.Join("; ", e.Failures)}");
            return 2;
        }
        return 0;
    }
}
